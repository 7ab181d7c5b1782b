/// RFC 4180 records with the line each starts on, tolerant of what spreadsheets and cyclers
/// write: a UTF-8 byte-order mark, CRLF or LF, quoted fields (with "" for a quote, and line
/// breaks inside quotes), and blank lines (skipped).
struct CSVRecords {
    struct Record {
        var line: Int
        var fields: [String]
    }

    struct UnterminatedQuote: Error {
        var line: Int
    }

    static func parse(_ text: String) throws(UnterminatedQuote) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var fieldWasQuoted = false
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }

        func endField() {
            fields.append(fieldWasQuoted ? field : field.trimmingWhitespace())
            field = ""
            fieldWasQuoted = false
        }
        func endRecord() {
            endField()
            let blank = fields.count == 1 && fields[0].isEmpty
            if !blank { records.append(Record(line: recordLine, fields: fields)) }
            fields = []
        }

        var index = 0
        while index < scalars.count {
            let c = scalars[index]
            if inQuotes {
                if c == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else {
                switch c {
                case "\"":
                    // A quote opens a quoted field only at its start (spaces before it allowed).
                    if field.allSatisfy({ $0 == " " || $0 == "\t" }) {
                        field = ""
                        inQuotes = true
                        fieldWasQuoted = true
                    } else {
                        field.unicodeScalars.append(c)
                    }
                case ",":
                    endField()
                case "\r":
                    if index + 1 < scalars.count, scalars[index + 1] == "\n" { index += 1 }
                    endRecord()
                    line += 1
                    recordLine = line
                case "\n":
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    if !(fieldWasQuoted && (c == " " || c == "\t")) { field.unicodeScalars.append(c) }
                }
            }
            index += 1
        }
        if inQuotes { throw UnterminatedQuote(line: recordLine) }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted { endRecord() }
        return records
    }
}
