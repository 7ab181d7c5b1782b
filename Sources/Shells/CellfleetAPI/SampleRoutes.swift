import CellfleetCoordinator
import CellModel
import Foundation
import Hummingbird
import Logging
import NIOCore
import PostgresNIO

/// `GET /tests/{id}/samples` (columnar JSON, or CSV when asked for `text/csv`) and
/// `GET /tests/{id}/samples.csv`: a range of a test's samples by seq or test time, raw in pages,
/// or `points=N` of them picked to keep the curve's shape (SampleRecords.downsample).
struct SampleRoutes {
    let client: PostgresClient

    static let defaultLimit = 10_000
    static let maximumLimit = 100_000
    static let maximumPoints = 10_000
    /// The JSON's columns: cellfleet's sequence number, then the Battery Data Format codec's.
    static let jsonColumns: [BatteryDataFormat.Column] = [
        BatteryDataFormat.testTime, BatteryDataFormat.unixTime, BatteryDataFormat.current, BatteryDataFormat.voltage,
        BatteryDataFormat.temperature, BatteryDataFormat.cycleCount, BatteryDataFormat.stepID, BatteryDataFormat.capacity,
        BatteryDataFormat.energy, BatteryDataFormat.stepType,
    ]

    func add(to api: RouterGroup<APIRequestContext>) {
        api.get("tests/:id/samples") { request, context -> Response in
            let wantsCSV = request.headers[.accept].map { Self.prefersCSV($0) } ?? false
            return try await samples(request, context: context, csv: wantsCSV)
        }
        api.get("tests/:id/samples.csv") { request, context -> Response in
            try await samples(request, context: context, csv: true)
        }
    }

    /// `Accept: text/csv` (alone or preferred over JSON).
    static func prefersCSV(_ accept: String) -> Bool {
        let types = accept.split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
        guard let csv = types.firstIndex(of: "text/csv") else { return false }
        let json = types.firstIndex { $0 == "application/json" || $0 == "*/*" || $0 == "application/*" }
        return json.map { csv < $0 } ?? true
    }

    private func samples(_ request: Request, context: APIRequestContext, csv: Bool) async throws -> Response {
        let query = try QueryParameters(request.uri.query, allowed: ["from_seq", "to_seq", "from_time", "to_time", "points", "limit", "cursor"])
        _ = try context.require(.viewer)
        let id = try TestRoutes.testID(context)
        let range = SampleRecords.Range(
            fromSeq: try Self.sequence(query, "from_seq"), toSeq: try Self.sequence(query, "to_seq"),
            fromTime: try Self.time(query, "from_time"), toTime: try Self.time(query, "to_time"))
        let points = try query["points"].map { text -> Int in
            guard let value = Int(text), (3...Self.maximumPoints).contains(value) else {
                throw APIProblem.badParameter("'points' must be a whole number from 3 to \(Self.maximumPoints), not '\(text)'")
            }
            return value
        }
        let limit = try query.limit(default: Self.defaultLimit, maximum: Self.maximumLimit)
        let after = try query["cursor"].map { text -> Int64 in
            guard text.range(of: #"^[0-9]{1,18}$"#, options: .regularExpression) != nil, let value = Int64(text) else { throw PageCursor.invalid }
            return value
        }
        let logger = context.logger
        guard try await client.withConnection({ connection in
            try await TestRecords.test(id, connection: connection, logger: logger) != nil
        }) else { throw TestRoutes.unknownTest(id) }

        if csv {
            return try await csvResponse(test: id, range: range, points: points, logger: logger)
        }
        if let points {
            let downsample = try await client.withConnection { connection in
                try await SampleRecords.downsample(test: id, range: range, points: points, connection: connection, logger: logger)
            }
            return JSONResponse.ok(Self.json(test: id, rows: downsample.rows, extra: [
                ("downsampled", .bool(true)), ("source_points", .integer(downsample.candidates)), ("summary_level", .integer(downsample.level)),
                ("next_cursor", .null),
            ]))
        }
        // One past the page says whether there is another.
        let rows = try await client.withConnection { connection in
            try await SampleRecords.page(test: id, range: range, after: after, limit: limit + 1, connection: connection, logger: logger)
        }
        let page = Array(rows.prefix(limit))
        let next: JSONText = rows.count > limit ? .string(String(page.last!.seq)) : .null
        return JSONResponse.ok(Self.json(test: id, rows: page, extra: [("downsampled", .bool(false)), ("next_cursor", next)]))
    }

    static func json(test: UUID, rows: [SampleRecords.Row], extra: [(String, JSONText)]) -> JSONText {
        var columns: [(String, JSONText)] = [("seq", .array(rows.map { .integer(Int($0.seq)) }))]
        for column in jsonColumns {
            columns.append((column.name, .array(rows.map { value(column.field, of: $0.sample) })))
        }
        return .object([("test_id", .string(test.uuidString.lowercased())), ("count", .integer(rows.count)), ("columns", .object(columns))] + extra)
    }

    static func value(_ field: BatteryDataFormat.Field, of sample: Sample) -> JSONText {
        switch field {
        case .testTime: .finite(sample.testTimeSeconds)
        case .unixTime: .finite(sample.unixTimeSeconds)
        case .current: .finite(sample.currentAmperes)
        case .voltage: .finite(sample.voltageVolts)
        case .temperature: .finite(sample.temperatureCelsius)
        case .cycleCount: sample.cycleIndex.map { .integer(Int($0)) } ?? .null
        case .stepID: sample.stepIndex.map { .integer(Int($0)) } ?? .null
        case .capacity: .finite(sample.capacityAmpHours)
        case .energy: .finite(sample.energyWattHours)
        case .stepType: sample.stepType.batteryDataFormatName.map(JSONText.string) ?? .null
        case .stepCount, .recordIndex: .null
        }
    }

    /// The Battery Data Format file of the range (as `cellfleet export` writes a whole test),
    /// streamed page by page: a months-long test never sits in memory.
    private func csvResponse(test: UUID, range: SampleRecords.Range, points: Int?, logger: Logger) async throws -> Response {
        let client = self.client
        let layout = try await client.withConnection { connection in
            try await SampleExport.layout(test: test, connection: connection, logger: logger)
        }
        let headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8; header=present",
            .contentDisposition: "inline; filename=\"\(test.uuidString.lowercased()).csv\"",
        ]
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let chunks = ChunkCollector()
            var csv = BatteryDataCSVWriter(layout: layout) { chunks.bytes.append(contentsOf: $0) }
            do {
                if let points {
                    let downsample = try await client.withConnection { connection in
                        try await SampleRecords.downsample(test: test, range: range, points: points, connection: connection, logger: logger)
                    }
                    for row in downsample.rows where row.sample.testTimeSeconds.isFinite { try csv.write(row.sample) }
                } else {
                    var after: Int64? = nil
                    while true {
                        let page = try await client.withConnection { connection in
                            try await SampleRecords.page(test: test, range: range, after: after, limit: SampleExport.pageSize,
                                                         connection: connection, logger: logger)
                        }
                        // A row without time, voltage or current cannot be a BDF row (as `export`).
                        for row in page where row.sample.testTimeSeconds.isFinite && row.sample.voltageVolts.isFinite
                            && row.sample.currentAmperes.isFinite { try csv.write(row.sample) }
                        try csv.flush()
                        if !chunks.bytes.isEmpty {
                            try await writer.write(ByteBuffer(bytes: chunks.bytes))
                            chunks.bytes.removeAll(keepingCapacity: true)
                        }
                        guard page.count == SampleExport.pageSize, let last = page.last else { break }
                        after = last.seq
                    }
                }
                try csv.flush()
                if !chunks.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: chunks.bytes)) }
            } catch {
                // The status is sent; a cut-short file is all that can say so, and the log.
                logger.error("samples CSV cut short", metadata: ["test": "\(test)", "error": "\(String(reflecting: error))"])
            }
            try await writer.finish(nil)
        })
    }

    static func sequence(_ query: QueryParameters, _ name: String) throws -> Int64? {
        guard let text = query[name] else { return nil }
        guard let value = Int64(text), value >= 0 else { throw APIProblem.badParameter("'\(name)' must be a sequence number (a whole number ≥ 0), not '\(text)'") }
        return value
    }

    static func time(_ query: QueryParameters, _ name: String) throws -> Double? {
        guard let text = query[name] else { return nil }
        guard let value = Double(text), value.isFinite, abs(value) <= 1e11 else {
            throw APIProblem.badParameter("'\(name)' must be a test time in seconds (a finite number), not '\(text)'")
        }
        return value
    }
}

/// The CSV writer's output between two writes to the response (one task uses it at a time).
private final class ChunkCollector: @unchecked Sendable {
    var bytes: [UInt8] = []
}
