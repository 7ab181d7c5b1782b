import CellModel
import Foundation

/// The Python reader each binary cycler format is measured against in `cellfleet bench parse`
/// (house rule: figures are ratios against a reference timed in the same run). Each script
/// imports its package first, so a missing package fails the script (exit status ≠ 0) and the
/// bench prints "-" for that file alone; otherwise it prints `<best seconds> <rows>` like the
/// pandas script for text exports.
public enum BinaryReferenceScripts {
    public enum Format: String, Sendable, CaseIterable {
        case neware, bioLogicMPR, xlsx, arbinRes
    }

    public struct Reference: Sendable, Equatable {
        /// What is timed, as printed beside the ratio.
        public var name: String
        public var script: String
    }

    /// The format whose reference applies, from the file name (NewareNDA itself dispatches on
    /// the extension, so the reference must too).
    public static func format(path: String) -> Format? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "nda", "ndax": .neware
        case "mpr": .bioLogicMPR
        case "xlsx": .xlsx
        case "res": .arbinRes
        default: nil
        }
    }

    /// The reference for `path`, or nil when it is not a binary format with one.
    public static func reference(path: String, repeats: Int = 5) -> Reference? {
        format(path: path).map { reference(path: path, format: $0, repeats: repeats) }
    }

    public static func reference(path: String, format: Format, repeats: Int = 5) -> Reference {
        let p = pythonLiteral(path)
        let (name, imports, body): (String, String, String)
        switch format {
        case .neware:
            name = "NewareNDA.read"
            imports = "import NewareNDA"
            body = "df = NewareNDA.read(\(p))\n    rows = len(df)"
        case .bioLogicMPR:
            name = "galvani MPRfile+DataFrame"
            imports = "import pandas as pd\nfrom galvani import BioLogic"
            body = "mpr = BioLogic.MPRfile(\(p))\n    df = pd.DataFrame(mpr.data)\n    rows = len(df)"
        case .xlsx:
            // What "≥ 10× openpyxl" means: a read-only load that visits every row of every sheet.
            name = "openpyxl read-only rows"
            imports = "import openpyxl"
            body = """
            wb = openpyxl.load_workbook(\(p), read_only=True, data_only=True)
                rows = 0
                for ws in wb.worksheets:
                    for _row in ws.iter_rows(values_only=True):
                        rows += 1
                wb.close()
            """
        case .arbinRes:
            name = "mdb-export|pandas.read_csv"
            imports = "import io, shutil, subprocess, sys\nimport pandas as pd\nif shutil.which('mdb-export') is None:\n    sys.exit(3)"
            body = """
            out = subprocess.run(['mdb-export', \(p), 'Channel_Normal_Table'], capture_output=True, check=True).stdout
                df = pd.read_csv(io.BytesIO(out))
                rows = len(df)
            """
        }
        let script = """
        \(imports)
        import time
        best = 1e9
        for _ in range(\(max(1, repeats))):
            t = time.perf_counter()
            \(body)
            best = min(best, time.perf_counter() - t)
        print(best, rows)
        """
        return Reference(name: name, script: script)
    }

    /// A Python string literal holding `s` exactly: a JSON string literal is one (Python reads
    /// its `\"`, `\\`, `\n`, `\r`, `\t` and `\uXXXX` escapes alike, and its source is UTF-8).
    static func pythonLiteral(_ s: String) -> String {
        JSONString.quoted(s)
    }
}
