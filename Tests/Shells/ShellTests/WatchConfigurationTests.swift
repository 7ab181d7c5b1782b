import TestSupport
@testable import CellfleetAgent
import CellModel
import CyclerReaders
import FileFollowing
import Foundation
import Testing

/// The `[[watch]]` and `[[channel]]` tables (docs/file-sources.md §1), the shipped per-vendor
/// examples, and what a file's header says of its cell.
@Suite struct WatchConfigurationTests {
    func load(_ text: String) throws -> AgentConfiguration {
        let directory = TestPaths.temporaryDirectory("watch-config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("agent.toml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try AgentConfiguration.load(tomlFile: url)
    }

    static let preamble = "agent_id = \"land-1\"\n[coordinator]\nendpoint = \"tcp://x:1\"\n[spool]\ndirectory = \"s\"\n"

    @Test func everyShippedRealCyclerExampleLoadsAndWatchesAFolder() throws {
        let directory = TestPaths.repositoryRoot.appendingPathComponent("agents")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".toml") && $0 != "simulated-16.toml" }
        #expect(Set(names).isSuperset(of: ["land.toml", "arbin.toml", "maccor.toml", "neware.toml", "biologic.toml", "novonix.toml", "basytec.toml", "generic-bdf.toml"]))
        let profiles = Set(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("profiles").path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        for name in names {
            let configuration = try AgentConfiguration.load(tomlFile: directory.appendingPathComponent(name))
            #expect(!configuration.watches.isEmpty, "\(name) watches no folder")
            #expect(!configuration.declaredChannels.isEmpty, "\(name) declares no channel")
            for watch in configuration.watches {
                if let profile = watch.profile { #expect(profiles.contains(profile), "\(name): no profile \(profile)") }
            }
        }
    }

    @Test func aWatchTableSetsEveryKeyAndItsCellDefaults() throws {
        let configuration = try load(Self.preamble + """
            [[watch]]
            directory = "export"
            pattern = "*.xlsx"
            profile = "land_xlsx"
            time_zone = "Asia/Shanghai"
            channel = "_(\\\\d+-\\\\d+)\\\\.xlsx$"
            poll_seconds = 2
            settle_seconds = 3
            idle_end_hours = 12
            recursive = false
            [watch.cell]
            cell_type = "symmetric"
            area_cm2 = 1.13
            [watch.cell.attributes]
            coating = "LiAlO2"

            [[channel]]
            id = "1-1"
            make = "LAND"
            current_min_a = -0.005
            current_max_a = 0.005
            voltage_min_v = -5
            voltage_max_v = 5
            aux_temperature = true
            """)
        let watch = try #require(configuration.watches.first)
        #expect(watch.directory.path.hasSuffix("/export") && !watch.directory.path.contains(".."))
        #expect(watch.filter.follows("a_1-1.xlsx") && !watch.filter.follows("a_1-1.csv"))
        #expect(watch.profile == "land_xlsx" && watch.timeZone == "Asia/Shanghai")
        #expect(try watch.channel.channelID(fileName: "cell7_3-2.xlsx", stem: "cell7_3-2") == "3-2")
        #expect(watch.pollSeconds == 2 && watch.settleSeconds == 3 && watch.idleEndHours == 12 && !watch.recursive)
        #expect(watch.cellDefaults.cellType == .symmetric && watch.cellDefaults.areaSquareCentimeters == 1.13)
        #expect(watch.cellDefaults.attributes == ["coating": "LiAlO2"])
        let channel = try #require(configuration.declaredChannels.first)
        #expect(channel.channelID == "1-1" && channel.make == "LAND" && channel.model == nil && channel.capabilities.auxTemperature)
        #expect(channel.capabilities == ChannelCapabilities(currentMinAmperes: -0.005, currentMaxAmperes: 0.005, voltageMinVolts: -5, voltageMaxVolts: 5, auxTemperature: true))
    }

    @Test func mistakesInAWatchOrChannelTableAreNamed() {
        for (table, expected) in [
            ("[[watch]]\ndirectory = \"d\"\npatern = \"*.csv\"\n", "unknown key 'patern'"),
            ("[[watch]]\npattern = \"*.csv\"\n", "directory is required"),
            ("[[watch]]\ndirectory = \"d\"\ntime_zone = \"Mars/Olympus\"\n", "not an IANA time zone"),
            ("[[watch]]\ndirectory = \"d\"\nchannel = \"bad(\"\n", "not a valid regular expression"),
            ("[[watch]]\ndirectory = \"d\"\n[watch.cell]\narea_cm2 = -1\n", "area_cm2 must be positive"),
            ("[[watch]]\ndirectory = \"d\"\npoll_seconds = 0\n", "poll_seconds must be positive"),
            ("[[channel]]\nid = \"1\"\ncurrent_min_a = 1\ncurrent_max_a = -1\n", "a minimum above its maximum"),
            ("[[channel]]\nid = \"1\"\n[[channel]]\nid = \"1\"\n", "declared twice"),
        ] {
            do {
                _ = try load(Self.preamble + table)
                Issue.record("accepted: \(table)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test func aHeadersMassAreaAndCapacityAreTakenWithTheirUnitsAndPlaceholdersAreNot() {
        // EC-Lab's text header as it writes it (decimal commas), and Novonix's [Summary].
        let bioLogic = InstrumentCellFacts.sidecar(from: [
            "Mass of active material": "12,5 mg", "Electrode surface area": "0,950 cm²", "Battery capacity": "1,300 A.h",
            "Characteristic mass": "0,001 g",
        ])
        #expect(bioLogic.activeMassMilligrams == 12.5 && bioLogic.areaSquareCentimeters == 0.95 && bioLogic.nominalCapacityMilliampHours == 1300)
        let unset = InstrumentCellFacts.sidecar(from: ["Mass of active material": "0,001 mg", "Electrode surface area": "0,000 cm²"])
        #expect(unset == CellSidecar(), "EC-Lab's placeholders and zeros are not a cell's")
        let novonix = InstrumentCellFacts.sidecar(from: ["Mass (g)": "0.0172", "Capacity (Ah)": "5", "Area (cm2)": "1.13", "Channel": "01"])
        #expect(novonix.activeMassMilligrams == 17.2 && novonix.nominalCapacityMilliampHours == 5000 && novonix.areaSquareCentimeters == 1.13)
        #expect(InstrumentCellFacts.sidecar(from: ["Mass": "12"]) == CellSidecar(), "no unit, no guess")
    }

    @Test func aReadersIOFailuresAreRetriedAndItsRefusalsOfTheContentAreNot() {
        func isTransient(_ error: Error) -> Bool {
            if case .transient = FileReadProblem.classify(error) { return true }
            return false
        }
        for transient: Error in [
            CyclerReadError(file: "f", reason: "cannot open the file for reading"),
            CyclerReadError(file: "f", location: "byte 4096", reason: "read failed: Input/output error"),
            CyclerReadError(file: "f", reason: "no such file"),
            CocoaError(.fileReadNoPermission),
        ] {
            #expect(isTransient(transient), "\(transient)")
        }
        for corrupt: Error in [
            CyclerReadError(file: "f", reason: "binary file of no known cycler format (and not a text export)"),
            CyclerReadError(file: "f", location: "line 9", reason: "record has 9 fields where the header has 28: the file is cut or corrupt"),
            FileReadProblem.corrupt("records already sent have changed"),
        ] {
            #expect(!isTransient(corrupt), "\(corrupt)")
        }
    }
}
