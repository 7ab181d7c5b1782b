import CellModel
import Foundation

/// `cellfleet convert`: a cycler file's records as Battery Data Format CSV, streaming (one pass,
/// bounded memory), through the one BDF codec (`BatteryDataCSVWriter`, `Layout.converted`):
/// exact numbers, the instrument's cycle and step as given, a running step count, the record
/// index. Columns the file does not have (clock, temperature) are left out rather than written
/// empty.
public enum BatteryDataFormatWriter {
    public static func columns(hasUnixTime: Bool, hasTemperature: Bool) -> [String] {
        BatteryDataFormat.Layout.converted(hasUnixTime: hasUnixTime, hasTemperature: hasTemperature).columns.map(\.name)
    }

    /// Converts `reader`'s records to BDF CSV, calling `write` with chunks of text.
    @discardableResult
    public static func convert(reader: inout CyclerRecordReader, write: (String) throws -> Void) throws -> Int {
        try withoutActuallyEscaping(write) { write in
            try convert(reader: &reader, bytes: { try write(String(decoding: $0, as: UTF8.self)) })
        }
    }

    /// The same, with chunks of UTF-8 bytes.
    @discardableResult
    public static func convert(reader: inout CyclerRecordReader, flushThresholdBytes: Int = 1 << 16, bytes: @escaping ([UInt8]) throws -> Void) throws -> Int {
        let layout = BatteryDataFormat.Layout.converted(hasUnixTime: reader.hasTimestamps, hasTemperature: reader.hasTemperature)
        var writer = BatteryDataCSVWriter(layout: layout, flushThresholdBytes: flushThresholdBytes, sink: bytes)
        try writer.flush()  // the header, even if the first record fails to read
        while let record = try reader.next() {
            try writer.write(record.sample, recordIndex: record.recordIndex)
        }
        try writer.flush()
        return writer.rowCount
    }

    /// Converts a file to a BDF CSV file at `outputPath`.
    public static func convert(path: String, outputPath: String, library: ProfileLibrary, options: CyclerFile.Options = .init()) throws -> (rows: Int, warnings: [String]) {
        var reader = try CyclerFile.open(path: path, library: library, options: options)
        guard FileManager.default.createFile(atPath: outputPath, contents: nil), let handle = FileHandle(forWritingAtPath: outputPath) else {
            throw CyclerReadError(file: outputPath, reason: "cannot create the output file")
        }
        defer { try? handle.close() }
        let rows = try convert(reader: &reader, flushThresholdBytes: 1 << 20) { bytes in try handle.write(contentsOf: bytes) }
        return (rows, reader.warnings)
    }
}
