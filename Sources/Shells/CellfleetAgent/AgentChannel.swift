/// One channel of the agent's cycler and what it is doing.
struct AgentChannel {
    /// What feeds the channel's tests. Followed export files are not channels of this kind: a
    /// file is a test (`FollowedExperiment`), and several files may name one channel over time.
    enum Kind {
        /// Runs simulator presets; `scenario` is the one it starts by itself.
        case simulated(scenario: String)
    }

    enum Activity {
        /// No test: a StartTest may start one.
        case idle
        case running(RunningTest)
        /// A test whose TestStart found the spool's file system full (an agent started on a full
        /// disk): it starts, as it would have, once there is room.
        case waitingToStart(testID: String, source: SimulatedChannel)
    }

    struct RunningTest {
        let testID: String
        var source: any ChannelSource
        /// The sequence number the next sample gets (a test's samples are numbered 1, 2, 3…).
        var nextSequence: UInt64
        /// Samples taken from the source since this agent process started.
        var producedThisRun = 0
    }

    let channelID: String
    /// 0-based; the simulator seeds each channel apart with it.
    let index: Int
    let kind: Kind
    /// What an idle channel announces; a running test's source says for itself.
    let idleCapabilities: ChannelCapabilities
    var activity: Activity = .idle

    var capabilities: ChannelCapabilities {
        if case .running(let test) = activity { return test.source.capabilities }
        return idleCapabilities
    }

    var runningTest: RunningTest? {
        if case .running(let test) = activity { return test }
        return nil
    }

    var isIdle: Bool {
        if case .idle = activity { return true }
        return false
    }
}
