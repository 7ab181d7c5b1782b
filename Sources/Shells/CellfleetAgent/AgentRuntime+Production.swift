import AgentSpool
import CellModel
import Foundation
import WireProtocol

/// Production: the channels' tests started, continued and ended, and their samples taken into
/// the spool, numbered 1, 2, 3… per test without a hole, across restarts.
extension AgentRuntime {
    var testSecondsPerSample: Double { configuration.speedFactor / configuration.sampleRateHertz }

    func pacing(from origin: ContinuousClock.Instant) -> SimulatedChannel.Pacing {
        configuration.unpaced ? .unpaced : .realTime(sampleRateHertz: configuration.sampleRateHertz, origin: origin)
    }

    /// Continues the tests `channels.json` names (a restart on the same spool) and starts the
    /// others' own.
    func setUpChannels() throws {
        let now = clock.now
        let unixTime = Date().timeIntervalSince1970
        for index in 0..<configuration.simulatedChannels {
            let channelID = "ch\(index + 1)"
            let scenario = configuration.scenarios[index % configuration.scenarios.count]
            let preset = try SimulatedChannel.preset(named: scenario)
            channels.append(AgentChannel(
                channelID: channelID, index: index, kind: .simulated(scenario: scenario),
                idleCapabilities: SimulatedChannel.capabilities(of: preset)))
            if let running = registry.tests[channelID] {
                try continueTest(running, on: index, now: now)
            } else if configuration.scheduled {
                continue  // idle until the coordinator starts a test on it
            } else {
                // A head start is the pacing's origin moved back by the samples it stands for.
                let headStartSamples = (configuration.headStartHours[scenario] ?? 0) * 3600 / testSecondsPerSample
                let origin = now - Duration.milliseconds(Int64((headStartSamples / configuration.sampleRateHertz * 1000).rounded()))
                let source = try SimulatedChannel(
                    channelIndex: index, scenario: scenario, seed: configuration.seed, testSecondsPerSample: testSecondsPerSample,
                    cellIDPrefix: configuration.agentID, pacing: pacing(from: origin))
                let testID = UUID().uuidString.lowercased()
                do {
                    try startTest(on: index, testID: testID, source: source, now: now, unixTime: unixTime)
                } catch where error.isSpoolOutOfSpace {
                    // Started on a full disk: the test starts when there is room (`produce`).
                    channels[index].activity = .waitingToStart(testID: testID, source: source)
                    noteOutOfSpace(error, now: now)
                }
            }
        }
        do {
            try syncSpool(now: now)
        } catch where error.isSpoolOutOfSpace {
            noteOutOfSpace(error, now: now)
        }
        try storeRegistry(now: now)
    }

    /// Re-creates a test's source where it stood and skips what the spool already holds.
    private func continueTest(_ running: ChannelRegistry.RunningTest, on index: Int, now: ContinuousClock.Instant) throws {
        let token: SimulatedChannel.ResumeToken
        let tokenSequence: UInt64
        if let resume = running.resume {
            token = try ResumeTokenCoding.decode(SimulatedChannel.ResumeToken.self, from: resume.token)
            tokenSequence = resume.afterSequence
        } else {
            // Written by an agent before resume tokens: the simulator starts over.
            guard case .simulated(let configured) = channels[index].kind else { return }
            token = .init(scenario: running.scenario ?? configured, seed: running.seed, samplesTaken: 0)
            tokenSequence = 0
        }
        var source = try SimulatedChannel(
            resumingFrom: token, channelIndex: index, testSecondsPerSample: testSecondsPerSample, cell: running.cell,
            pacing: pacing(from: now))
        let spooled = spool.highestSequence(forTest: running.testID)
        if spooled >= tokenSequence {
            source.skip(spooled - tokenSequence)
        } else {
            logger.error("the spool holds fewer samples than the channel's resume point; numbering carries on from the spool", metadata: [
                "channel": "\(running.channelID)", "test": "\(running.testID)", "spooled": "\(spooled)", "resume_point": "\(tokenSequence)"])
        }
        channels[index].activity = .running(.init(testID: running.testID, source: source, nextSequence: spooled + 1))
        logger.info("continuing a test after restart", metadata: [
            "channel": "\(running.channelID)", "test": "\(running.testID)", "next_seq": "\(spooled + 1)"])
    }

    /// Spools the test's start, then records it in the registry (in memory; the caller stores it
    /// after syncing the spool).
    func startTest(on index: Int, testID: String, source: SimulatedChannel, now: ContinuousClock.Instant, unixTime: Double) throws {
        let channelID = channels[index].channelID
        var cell = source.cell
        if let onFail = configuration.onFail, cell.attributes["on_fail"] == nil { cell.attributes["on_fail"] = onFail.rawValue }
        var start = Cellfleet_Wire_V1_TestStart()
        start.testID = testID
        start.agentID = configuration.agentID
        start.channelID = channelID
        start.cell = Cellfleet_Wire_V1_Cell(cell)
        start.startUnixTimeS = unixTime
        try spool.append { id in
            start.deliveryID = id
            return WireEnvelope(.testStart(start))
        }
        appendedAt[spool.lastAppendedID] = now
        registry.tests[channelID] = .init(
            testID: testID, channelID: channelID, cell: cell, startUnixTimeSeconds: unixTime, seed: source.seed,
            scenario: source.scenario, resume: .init(afterSequence: 0, token: try source.encodedResumeToken()))
        channels[index].activity = .running(.init(testID: testID, source: source, nextSequence: 1))
    }

    /// Spools the test's end; the channel falls idle. A test still waiting to start has
    /// nothing to end.
    func endTest(on index: Int, reason: String, now: ContinuousClock.Instant) throws {
        if case .waitingToStart = channels[index].activity { channels[index].activity = .idle }
        guard let test = channels[index].runningTest else { return }
        try spoolTestEnd(testID: test.testID, lastSequence: test.nextSequence - 1, reason: reason, now: now)
        registry.tests[channels[index].channelID] = nil
        channels[index].activity = .idle
    }

    /// Spools a test's end after its last sample (whatever fed it: a simulator or a file).
    func spoolTestEnd(testID: String, lastSequence: UInt64, reason: String, now: ContinuousClock.Instant) throws {
        var end = Cellfleet_Wire_V1_TestEnd()
        end.testID = testID
        end.lastSeq = lastSequence
        end.endUnixTimeS = Date().timeIntervalSince1970
        end.reason = reason
        try spool.append { id in
            end.deliveryID = id
            return WireEnvelope(.testEnd(end))
        }
        appendedAt[spool.lastAppendedID] = now
    }

    func endTests() throws {
        let now = clock.now
        for index in channels.indices where !channels[index].isIdle {
            try endTest(on: index, reason: "completed", now: now)
        }
        try syncSpool(now: now)
        try storeRegistry(now: now)
    }

    func isDoneProducing(now: ContinuousClock.Instant) -> Bool {
        if isFollowingFiles {
            // Files decide: an import when all is read, `--exit-when-idle` when nothing changed
            // for that long; otherwise the agent follows them until stopped.
            guard followingIsComplete(unixNow: Date().timeIntervalSince1970) else { return false }
            return channels.allSatisfy(\.isIdle) || configuration.durationSeconds.map { startedAt.duration(to: now).inSeconds >= $0 } ?? true
        }
        if configuration.unpaced, let limit = configuration.samplesPerChannel {
            return channels.allSatisfy { channel in
                switch channel.activity {
                case .idle: true
                case .running(let test): test.producedThisRun >= limit
                case .waitingToStart: false
                }
            }
        }
        if let duration = configuration.durationSeconds, startedAt.duration(to: now).inSeconds >= duration { return true }
        // A scheduled agent's idle channels wait for the next test; it runs until stopped.
        return !configuration.scheduled && !channels.isEmpty && channels.allSatisfy(\.isIdle)
    }

    /// Takes what each running channel has ready into the spool, one batch per channel; a full
    /// spool holds every source back instead (nothing is dropped).
    ///
    /// A full file system throws `SpoolError.outOfSpace` from an append. The channel's test is a
    /// copy taken here and written back only after its batch is in the spool, so the samples
    /// the failed append held are taken again, the same, once there is room.
    func produce(now: ContinuousClock.Instant) throws {
        let unixTime = Date().timeIntervalSince1970 + configuration.sampleClockOffsetSeconds
        for index in channels.indices {
            if case .waitingToStart(let testID, let source) = channels[index].activity {
                try startTest(on: index, testID: testID, source: source, now: now, unixTime: Date().timeIntervalSince1970)
                registryStoreDue = true  // stored after the spool's sync, as at start-up
                logger.notice("a test held back by the full disk starts", metadata: ["channel": "\(channels[index].channelID)", "test": "\(testID)"])
                continue
            }
            guard case .running(var test) = channels[index].activity else { continue }
            if index == 0, let after = configuration.silenceFirstChannelAfterSeconds, startedAt.duration(to: now).inSeconds >= after { continue }
            let limit = configuration.unpaced
                ? min(configuration.maximumBatchSamples, (configuration.samplesPerChannel ?? Int.max) - test.producedThisRun)
                : configuration.maximumBatchSamples
            let due = test.source.samplesReady(at: now, limit: limit)
            guard due > 0 else { continue }
            guard spool.hasRoom(forBytes: due * 90 + 128) else {
                if production != .spoolFull {
                    production = .spoolFull
                    spoolFullEpisodes += 1
                    logger.warning(
                        "SPOOL FULL: not taking samples from the channels until the coordinator acknowledges more",
                        metadata: ["spool_bytes": "\(spool.usedBytes)", "capacity_bytes": "\(configuration.spoolCapacityBytes)"])
                }
                holdBackSources(for: .milliseconds(Int64(configuration.flushIntervalSeconds * 1000)))
                return
            }
            if production == .spoolFull {
                production = .producing
                logger.notice("spool has room again; taking samples")
            }
            switch try test.source.takeSamples(due, unixTimeSeconds: unixTime) {
            case .nothingYet:
                channels[index].activity = .running(test)
            case .testEnded:
                // The test ran its course: end it; the channel falls idle.
                try endTest(on: index, reason: "completed", now: now)
                registryStoreDue = true
            case .samples(let columns):
                let testID = test.testID, first = test.nextSequence
                try spool.append { id in
                    WireEnvelope(.sampleBatch(Cellfleet_Wire_V1_SampleBatch(deliveryID: id, testID: testID, firstSeq: first, columns: columns)))
                }
                appendedAt[spool.lastAppendedID] = now
                test.nextSequence += UInt64(columns.count)
                test.producedThisRun += columns.count
                channels[index].activity = .running(test)
            }
        }
    }

    func holdBackSources(for duration: Duration) {
        for index in channels.indices {
            switch channels[index].activity {
            case .idle:
                continue
            case .running(var test):
                test.source.holdBack(for: duration)
                channels[index].activity = .running(test)
            case .waitingToStart(let testID, var source):
                source.holdBack(for: duration)
                channels[index].activity = .waitingToStart(testID: testID, source: source)
            }
        }
    }
}
