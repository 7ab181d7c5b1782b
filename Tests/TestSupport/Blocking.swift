import Foundation

/// Runs a blocking call (a child process, psql) on a thread of its own and awaits its result.
/// A `Task` would take one of the cooperative pool's threads — as many as there are cores, two on
/// CI — so two blocking tasks starve everything else the test awaits, including its `eventually`.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}
