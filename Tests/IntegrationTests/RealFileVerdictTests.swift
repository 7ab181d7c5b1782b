import Foundation
import TestSupport
import Testing

/// The written verdict on every real instrument file we hold (docs/detectors.md §9), asserted
/// through the real `cellfleet detect --explain`: a healthy test gets no warn or fail alert and
/// at most a few Q1 notes; the known failure is caught, by the rules that describe it and no
/// others. Each verdict comes from the file's provenance in
/// ../shared/fixtures/cyclers/PROVENANCE.md and from its plotted data.
///
/// Files under Tests/ (permissive licences) always run; the GPL ones stay in ../shared and their
/// cases are skipped, saying so, when it is absent.
@Suite struct RealFileVerdictTests {
    struct Verdict: Sendable, CustomStringConvertible {
        /// Relative to the repository's root (`Tests/…`) or to ../shared/fixtures/cyclers (`shared:…`).
        var file: String
        /// The cell type `--explain` must report, e.g. "half (anode)".
        var cellType: String
        /// "RULE severity" of each warn or fail alert that must appear; every other warn or fail is wrong.
        var expected: Set<String> = []
        /// What else may appear, e.g. a warn that accompanies the failure.
        var allowed: Set<String> = []
        var why: String

        var description: String { file }
        var isShared: Bool { file.hasPrefix("shared:") }
        var url: URL {
            isShared
                ? RealFileVerdictTests.shared.appendingPathComponent(String(file.dropFirst("shared:".count)))
                : TestPaths.repositoryRoot.appendingPathComponent(file)
        }
    }

    static let shared = TestPaths.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/cyclers")
    static let fixtures = "Tests/Core/CyclerReadersTests/Fixtures/"

    /// Healthy unless `expected` says otherwise.
    static let verdicts: [Verdict] = [
        Verdict(file: fixtures + "arbin_csv/arbin_example.csv", cellType: "full",
                why: "full-cell formation with CV holds (battery-data-toolkit): healthy"),
        Verdict(file: fixtures + "arbin_csv/sample_data_arbin.csv", cellType: "full", why: "13 records of one step: healthy"),
        Verdict(file: fixtures + "binary/arbin_example.res", cellType: "full", why: "five formation-like cycles: healthy"),
        Verdict(file: fixtures + "binary/bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx", cellType: "half (anode)",
                why: "graphite | Li half cell at 50 µA, 50 mV–1 V: healthy; never a symmetric cell (no negative voltage)"),
        Verdict(file: fixtures + "binary/250116_kigr_gen6_01_02_GCPL_CD8.mpr", cellType: "full",
                why: "LNMO || Si-graphite formation, CV holds at 4.9 V: healthy; P4's clamp clause is for symmetric cells"),
        Verdict(file: fixtures + "binary/test.ndax", cellType: "full",
                why: "one CCCV charge / CCCV discharge at 1.5–4.4 V: healthy; its rest at 1.69 V is inside its own window, and a CV hold is no frozen channel"),
        Verdict(file: fixtures + "binary/123456789012_Unit27_Example_Data_File.ndax", cellType: "full",
                why: "301 records at 1 s with aux temperatures in 0.1 °C steps: healthy, no thermal-rate note"),
        Verdict(file: fixtures + "binary/TestFile.nda", cellType: "full",
                why: "5.8 Ah cell, 1.72–4.20 V, 3 cycles: healthy; the export's time goes back once and has one long gap (one Q1 note each)"),
        Verdict(file: fixtures + "binary/nw4-120-1-6-53.ndax", cellType: "full",
                expected: ["E1 fail", "S6 fail", "E2 warn"], allowed: ["S6 warn"],
                why: "FAILURE by impedance growth: capacity collapses over 160 cycles (SOH < 0.8 by cycle 9, CE 0.45–0.86); no short (no H2), no clamp (P4), no runaway (S5)"),
        Verdict(file: fixtures + "maccor_txt/PredictionDiagnostics_000151_test.052", cellType: "full", why: "an export starting mid-test: healthy"),
        Verdict(file: fixtures + "maccor_txt/maccor_test_file_4267-66-6519.041", cellType: "full",
                why: "repeated record numbers and times: healthy, the repeats kept, no note"),
        Verdict(file: fixtures + "maccor_txt/maccor_example.001", cellType: "full", why: "8 records: healthy"),
        Verdict(file: fixtures + "maccor_txt/maccor_two.txt", cellType: "full",
                why: "decimal comma, truncated last line: healthy, one Q1 note for the broken record"),
        Verdict(file: fixtures + "neware_csv/neware_uio.csv", cellType: "half (anode)",
                why: "silicon/graphite-type anode against Li, 0.05–2.96 V, 0.25–1 mA rate steps, 4 cycles: healthy; CE is delithiation over lithiation (0.98)"),
        Verdict(file: fixtures + "novonix_csv/sample_data_novonix.csv", cellType: "full", why: "Novonix sample: healthy"),
        Verdict(file: fixtures + "basytec_txt/sample_data_basytec_excerpt.txt", cellType: "full", why: "BaSyTec excerpt: healthy"),
        // GPL-3.0 (dgbowl/yadg): only in ../shared.
        Verdict(file: "shared:biologic_mpr/gcpl.mpr", cellType: "symmetric",
                why: "metal || metal symmetric cell, ±11 µA for 12 h per half cycle; polarisation 0.105 → 0.111 V, 1.07× its reference, far below P1's 2× and P2's 5×; its ASR at 0.785 cm² is 8 000 Ω·cm², below P3's 10 000: healthy"),
        Verdict(file: "shared:biologic_mpr/gcpl.pr_182.1.mpr", cellType: "half (anode)",
                why: "half cell with a third electrode cycling ~0–2.35 V at ±0.22 mA: healthy; the lithiation's few mV are its cut-off, not a short (H1/H2)"),
        Verdict(file: "shared:biologic_mpt/gcpl.pr_182.1.mpt", cellType: "half (anode)", why: "the .mpr's text twin: the same verdict"),
        Verdict(file: "shared:biologic_mpr/gcpl.issue_149.mpr", cellType: "full",
                why: "±0.03 mA pulses of 10 s on a 3.43 V cell: healthy; the cycler's capacity of 0.083 µAh pulses differs from the integral by 1.8 % (one Q1 note)"),
        Verdict(file: "shared:biologic_mpt/gcpl.issue_149.mpt", cellType: "full", why: "the .mpr's text twin: the same verdict"),
        Verdict(file: "shared:biologic_mpt/mb.issue_95.de.mpt", cellType: "full", why: "decimal-comma export of a short sequence: healthy"),
    ]

    static var sharedPresent: Bool { FileManager.default.fileExists(atPath: shared.path) }

    @Test(arguments: verdicts.filter { !$0.isShared })
    func verdictOfAFileInTheRepository(_ verdict: Verdict) throws {
        try check(verdict)
    }

    @Test(.enabled(if: sharedPresent, "../shared/fixtures/cyclers is absent: its GPL-3.0 files are not in this repository"),
          arguments: verdicts.filter(\.isShared))
    func verdictOfASharedFile(_ verdict: Verdict) throws {
        try check(verdict)
    }

    /// Every file of ../shared/fixtures/cyclers has a written verdict (here, or as its copy in Tests/).
    @Test(.enabled(if: sharedPresent, "../shared/fixtures/cyclers is absent"))
    func everySharedFileHasAVerdict() throws {
        let names = Set(Self.verdicts.map { URL(fileURLWithPath: $0.file).lastPathComponent })
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.shared.path)
            .filter { !$0.hasSuffix(".md") && !$0.hasSuffix(".mpl") && $0.contains("/") }
        #expect(!files.isEmpty)
        for file in files { #expect(names.contains(URL(fileURLWithPath: file).lastPathComponent), "no verdict for \(file)") }
    }

    func check(_ verdict: Verdict) throws {
        let child = try TestProcess(TestPaths.cellfleet, ["detect", "--explain", verdict.url.path])
        child.process.waitUntilExit()
        #expect(child.process.terminationStatus == 0, "\(verdict.file): \(child.stderr)")
        var raised: Set<String> = []
        var lines = 0
        for line in child.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            lines += 1
            let rule = try #require(object["rule"] as? String), severity = try #require(object["severity"] as? String)
            if severity != "info" { raised.insert("\(rule) \(severity)") }
        }
        #expect(raised.isSuperset(of: verdict.expected), "\(verdict.file) (\(verdict.why)): missing \(verdict.expected.subtracting(raised))")
        let unexpected = raised.subtracting(verdict.expected).subtracting(verdict.allowed)
        #expect(unexpected.isEmpty, "\(verdict.file) (\(verdict.why)): unexpected \(unexpected)")
        #expect(lines <= 10, "\(verdict.file): \(lines) alerts, an alert storm")
        #expect(child.stderr.contains("cell type: \(verdict.cellType);"), "\(verdict.file): \(child.stderr)")
    }
}
