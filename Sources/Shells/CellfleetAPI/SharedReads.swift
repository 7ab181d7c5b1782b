/// Whole-fleet documents (`/fleet`, `/stats`) that several people ask for at once are read once
/// and shared: every open dashboard polls the fleet, and each read is tens of milliseconds of
/// both cores at 10 000 channels, so ten viewers cost ten times the CPU for ten copies of the same
/// bytes.
///
/// Sharing never answers with older data than a read of one's own would: a request joins only a
/// read that has not begun yet. One that arrives while a read is under way waits for it to end,
/// then shares the next one with everyone else who arrived meanwhile. So an operator who acks an
/// alert and reloads sees the ack, and per key at most one read runs and one waits.
///
/// The reads are tasks of their own: a person who closes the page does not cancel the read the
/// others are waiting for. What a read throws, all who share it get.
actor SharedReads {
    private struct Read {
        let id: Int
        let task: Task<[UInt8], Error>
    }

    /// Per key, the read under way and the one queued behind it.
    private var running: [String: Read] = [:]
    private var queued: [String: Read] = [:]
    private var lastID = 0

    /// Reads started, and requests that shared a read another request had started.
    private(set) var readsStarted = 0
    private(set) var requestsShared = 0

    /// The document for `key`, from a read that begins after this call. `read` must give the same
    /// document for the same key (whoever's closure runs is the one whose request started it).
    func document(_ key: String, read: @escaping @Sendable () async throws -> [UInt8]) async throws -> [UInt8] {
        if let next = queued[key] {
            requestsShared += 1
            return try await next.task.value
        }
        lastID += 1
        let id = lastID
        readsStarted += 1
        let ahead = running[key]?.task
        let task = Task {
            if let ahead { _ = await ahead.result }
            self.begin(key, id: id)
            do {
                let document = try await read()
                self.end(key, id: id)
                return document
            } catch {
                self.end(key, id: id)
                throw error
            }
        }
        if ahead == nil {
            running[key] = Read(id: id, task: task)
        } else {
            queued[key] = Read(id: id, task: task)
        }
        return try await task.value
    }

    /// The queued read begins: whoever asks from now on queues behind it.
    private func begin(_ key: String, id: Int) {
        if let next = queued[key], next.id == id {
            running[key] = next
            queued[key] = nil
        }
    }

    private func end(_ key: String, id: Int) {
        if running[key]?.id == id { running[key] = nil }
    }
}
