import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What another process costs the machine right now, as Linux's /proc tells it: its resident
/// memory (now and at its peak) and the CPU time it has used. Benchmarks take two readings and
/// divide by the wall time between them; the kernel's own counters need no instrumentation of the
/// process measured, so what is measured is the real binary as a lab runs it.
public struct ProcessUsage: Sendable, Equatable {
    /// VmRSS: resident set size now.
    public var residentBytes: Int64
    /// VmHWM: the largest resident set size since the process started.
    public var peakResidentBytes: Int64
    /// RssAnon: of `residentBytes`, the process's own memory (heap, stacks). The rest (RssFile)
    /// is pages of the executable and shared libraries, shared with every process mapping them
    /// and dropped by the kernel under pressure: most of a small Swift process's VmRSS.
    public var anonymousResidentBytes: Int64
    /// utime + stime: CPU time in user and kernel mode since the process started.
    public var cpuSeconds: Double

    public init(residentBytes: Int64, peakResidentBytes: Int64, anonymousResidentBytes: Int64, cpuSeconds: Double) {
        self.residentBytes = residentBytes
        self.peakResidentBytes = peakResidentBytes
        self.anonymousResidentBytes = anonymousResidentBytes
        self.cpuSeconds = cpuSeconds
    }

    public struct Unreadable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads /proc/PID/status and /proc/PID/stat of a live process.
    public static func read(pid: Int32) throws -> ProcessUsage {
        func contents(_ name: String) throws -> String {
            do {
                return try String(contentsOfFile: "/proc/\(pid)/\(name)", encoding: .utf8)
            } catch {
                throw Unreadable(description: "cannot read /proc/\(pid)/\(name) (has the process exited?): \(error.localizedDescription)")
            }
        }
        let memory = try parseStatus(contents("status"))
        let cpu = try parseCPUSeconds(stat: contents("stat"), ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))))
        return ProcessUsage(residentBytes: memory.resident, peakResidentBytes: memory.peak, anonymousResidentBytes: memory.anonymous, cpuSeconds: cpu)
    }

    /// VmRSS, VmHWM and RssAnon from /proc/PID/status (lines such as `VmRSS:\t   10240 kB`).
    static func parseStatus(_ text: String) throws -> (resident: Int64, peak: Int64, anonymous: Int64) {
        var fields: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count >= 3, ["VmRSS", "VmHWM", "RssAnon"].contains(parts[0]), parts[2] == "kB", let kibibytes = Int64(parts[1]) else { continue }
            fields[String(parts[0])] = kibibytes * 1024
        }
        guard let resident = fields["VmRSS"], let peak = fields["VmHWM"], let anonymous = fields["RssAnon"] else {
            throw Unreadable(description: "/proc status without VmRSS, VmHWM and RssAnon (a kernel thread, a zombie, or Linux before 4.5)")
        }
        return (resident, peak, anonymous)
    }

    /// utime + stime (fields 14 and 15 of /proc/PID/stat, in clock ticks) in seconds. The command
    /// name (field 2) is in parentheses and may itself hold spaces and parentheses, so the fields
    /// are counted from the last `)`.
    static func parseCPUSeconds(stat text: String, ticksPerSecond: Double) throws -> Double {
        guard let close = text.lastIndex(of: ")") else { throw Unreadable(description: "/proc stat without a command name") }
        // Field 3 (the state) is the first after the name.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]), ticksPerSecond > 0 else {
            throw Unreadable(description: "/proc stat too short for utime and stime")
        }
        return (user + system) / ticksPerSecond
    }
}
