/// Wakes a worker early: `ring()` ends the current (or the next) `wait`, which otherwise ends
/// after its timeout. Rings while nobody waits are kept as one.
actor Doorbell {
    private var waiter: CheckedContinuation<Void, Never>?
    private var rung = false
    private var generation = 0

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            rung = true
        }
    }

    func wait(timeoutSeconds: Double) async {
        if rung {
            rung = false
            return
        }
        generation += 1
        let mine = generation
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64(max(0.001, timeoutSeconds) * 1000)))
            await self?.expire(mine)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter = $0 }
        } onCancel: {
            Task { await self.expire(nil) }
        }
        timer.cancel()
    }

    private func expire(_ generation: Int?) {
        guard generation == nil || generation == self.generation, let waiter else { return }
        self.waiter = nil
        waiter.resume()
    }
}
