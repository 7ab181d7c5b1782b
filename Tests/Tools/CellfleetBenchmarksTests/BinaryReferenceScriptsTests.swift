import Foundation
import Testing
@testable import CellfleetBenchmarks

/// The Python references `cellfleet bench parse` times binary files against.
@Suite("Bench references for binary formats")
struct BinaryReferenceScriptsTests {
    @Test("each binary extension gets its reader; text files get none")
    func formats() {
        #expect(BinaryReferenceScripts.format(path: "/d/a.NDAX") == .neware)
        #expect(BinaryReferenceScripts.format(path: "a.nda") == .neware)
        #expect(BinaryReferenceScripts.format(path: "b.mpr") == .bioLogicMPR)
        #expect(BinaryReferenceScripts.format(path: "c.xlsx") == .xlsx)
        #expect(BinaryReferenceScripts.format(path: "d.res") == .arbinRes)
        #expect(BinaryReferenceScripts.reference(path: "e.csv") == nil)
        #expect(BinaryReferenceScripts.reference(path: "noextension") == nil)
        let neware = BinaryReferenceScripts.reference(path: "/x/y.ndax", repeats: 3)!
        #expect(neware.script.contains("NewareNDA.read(\"/x/y.ndax\")"))
        #expect(neware.script.contains("range(3)"))
        #expect(BinaryReferenceScripts.reference(path: "m.mpr")!.script.contains("pd.DataFrame(mpr.data)"))
        #expect(BinaryReferenceScripts.reference(path: "w.xlsx")!.script.contains("read_only=True"))
        #expect(BinaryReferenceScripts.reference(path: "r.res")!.script.contains("'Channel_Normal_Table'"))
    }

    @Test("paths are quoted as Python literals (quotes, backslashes, control characters)")
    func quoting() {
        #expect(BinaryReferenceScripts.pythonLiteral("it's\\a\tb\n\"") == "\"it's\\\\a\\tb\\n\\\"\"")
        #expect(BinaryReferenceScripts.pythonLiteral("ü.nda\u{1}") == "\"ü.nda\\u0001\"")
    }

    @Test("every script is valid Python (checked with python3's compile() when python3 is installed)")
    func scriptsCompile() throws {
        let scripts = BinaryReferenceScripts.Format.allCases.map {
            BinaryReferenceScripts.reference(path: "/tmp/it's a \"test\"\\x.bin", format: $0, repeats: 2).script
        }
        let checker = "import sys, json\nfor s in json.load(sys.stdin):\n    compile(s, 'reference', 'exec')\nprint('ok')"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", checker]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            print("skipping: python3 not runnable (\(error))")
            return
        }
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: scripts))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 127 { print("skipping: no python3"); return }
        #expect(text.hasPrefix("ok"), "a reference script does not compile")
    }
}
