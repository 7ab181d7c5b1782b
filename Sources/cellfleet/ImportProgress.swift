import CellfleetAgent
import Foundation

/// `cellfleet import`'s progress on stderr: a bar redrawn in place on a terminal, a plain line
/// every ten seconds otherwise (a log, a CI job). Records and files done, the rate, and the time
/// left estimated from the bytes still to read.
enum ImportProgress {
    static func report(agent: Agent) async {
        let terminal = isatty(STDERR_FILENO) == 1
        let interval: Duration = terminal ? .milliseconds(250) : .seconds(10)
        let started = ContinuousClock.now
        var lastPrinted = ""
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let status = await agent.status()
            let line = describe(status, elapsedSeconds: started.duration(to: .now).seconds, width: terminal ? 24 : nil)
            if terminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            } else if line != lastPrinted {
                FileHandle.standardError.write(Data("import: \(line)\n".utf8))
            }
            lastPrinted = line
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// One progress line; `width` draws a bar of that many cells.
    static func describe(_ status: Agent.Status, elapsedSeconds: Double, width: Int?) -> String {
        let fraction = status.fileBytes > 0 ? min(1, Double(status.fileBytesRead) / Double(status.fileBytes)) : 0
        let rate = elapsedSeconds > 0 ? Double(status.samplesProduced) / elapsedSeconds : 0
        var parts: [String] = []
        if let width {
            let filled = Int((fraction * Double(width)).rounded(.down))
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]")
        }
        parts.append("\(status.filesDone)/\(status.files) files")
        parts.append("\(status.samplesProduced) records read, \(status.samplesAcked) acknowledged")
        parts.append("\(Int(rate.rounded())) records/s")
        if fraction > 0.01, fraction < 1 {
            let left = elapsedSeconds * (1 - fraction) / fraction
            parts.append("about \(format(seconds: left)) left")
        } else if fraction >= 1, status.samplesAcked < status.samplesProduced {
            parts.append("waiting for acknowledgements")
        }
        return parts.joined(separator: "  ")
    }

    static func format(seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s) s" }
        if s < 3600 { return "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}

private extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
