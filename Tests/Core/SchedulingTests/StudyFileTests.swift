import Foundation
import Scheduling
import Testing

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Test func theIssuesStudyFileParsesAsWritten() throws {
    let plan = try StudyFile.parse("""
        name = "coating-vs-bare"
        infant_hours = 50                 # a fail alert before this is infant mortality
        priority = 0                      # higher first
        [[group]]
        name = "A"
        replicates = 3
        protocol = "sim:1"
        duration_hours = 200              # the test completes after this much test time
        on_fail = "notify"                # or "stop"
        attributes = { coating = "LiAlO2" }
        cells = ["A1", { id = "A2", protocol = "sim:8" }, "A3", "A4"]   # stock, used in order
        """, file: "study.toml")
    #expect(plan.name == "coating-vs-bare" && plan.infantHours == 50 && plan.priority == 0 && plan.hardShortCycles == 1)
    let group = try #require(plan.groups.first)
    #expect(group.name == "A" && group.replicates == 3 && group.protocolToRun == .simulated(preset: "1") && group.durationHours == 200)
    #expect(group.onFail == "notify" && group.attributes == ["coating": "LiAlO2"])
    #expect(group.cells == [.init(id: "A1"), .init(id: "A2", protocolToRun: .simulated(preset: "8")), .init(id: "A3"), .init(id: "A4")])
}

@Test func theShippedReferenceStudyParses() throws {
    let url = repositoryRoot.appendingPathComponent("agents/studies/coating-vs-bare.toml")
    let plan = try StudyFile.parse(String(contentsOf: url, encoding: .utf8), file: url.path)
    #expect(plan.groups.map(\.name) == ["coated", "bare", "full-coated"])
    #expect(plan.groups[1].onFail == "stop")
}

@Test func aVendorProtocolCarriesItsRequirements() throws {
    let plan = try StudyFile.parse("""
        name = "s"
        [[group]]
        name = "full"
        replicates = 1
        protocol = "NMC-C/10-formation"
        requirements = { make = "Neware", current_max_a = 0.05, voltage_max_v = 4.3, aux_temperature = true }
        cells = ["F1"]
        """, file: "s.toml")
    #expect(plan.groups[0].protocolToRun == .vendor(schedule: "NMC-C/10-formation", requirements: ChannelRequirements(
        make: "Neware", currentMaxAmperes: 0.05, voltageMaxVolts: 4.3, auxTemperature: true)))
}

@Test func mistakesInAStudyFileAreNamed() {
    let base = "name = \"s\"\n[[group]]\nname = \"A\"\nreplicates = 2\nprotocol = \"sim:1\"\ncells = [\"A1\"]\n"
    for (text, expected) in [
        (base + "replicate = 3\n", "unknown key 'replicate'"),
        ("nam = \"s\"\n", "unknown key 'nam'"),
        ("name = \"s\"\n", "at least one [[group]]"),
        (base.replacingOccurrences(of: "replicates = 2", with: "replicates = 0"), "replicates must be a whole number of at least 1"),
        (base + "on_fail = \"explode\"\n", "on_fail must be"),
        (base.replacingOccurrences(of: "cells = [\"A1\"]", with: "cells = [\"A1\", \"A1\"]"), "listed twice"),
        (base.replacingOccurrences(of: "protocol = \"sim:1\"\n", with: ""), "protocol is required"),
        (base + "requirements = { current_max_a = 1 }\n", "a sim: protocol has no requirements"),
        (base.replacingOccurrences(of: "cells = [\"A1\"]", with: "cells = [{ id = \"A1\", protcol = \"sim:8\" }]"), "unknown key 'protcol'"),
    ] {
        do {
            _ = try StudyFile.parse(text, file: "s.toml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }
}
