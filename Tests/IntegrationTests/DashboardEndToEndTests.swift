import Foundation
import TestSupport
import Testing

/// The web dashboard (issue 15 item 5; docs/dashboard.md) in Debian's headless Chromium against
/// a running `cellfleet demo --http` with tokens on: the page logs in the way a person does (a
/// token handed once, kept in the browser's local storage), the fleet grid gets its tiles, and
/// a running test's voltage plot gets points — read from the page's own status element, not
/// only from the page having loaded. Screenshots of both pages go to a temporary directory.
@Suite(.serialized) struct DashboardEndToEndTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The status element's data attributes (`<div id="status" data-state="loaded" …>`).
    static func status(_ dom: String) -> [String: String] {
        guard let open = dom.range(of: #"<div[^>]*id="status"[^>]*>"#, options: .regularExpression) else { return [:] }
        let tag = String(dom[open])
        var attributes: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #"data-([a-z-]+)="([^"]*)""#)
        for match in pattern.matches(in: tag, range: NSRange(tag.startIndex..., in: tag)) {
            attributes[String(tag[Range(match.range(at: 1), in: tag)!])] = String(tag[Range(match.range(at: 2), in: tag)!])
        }
        return attributes
    }

    /// One headless Chromium run on `url` with the profile `profile` (so local storage outlives
    /// the run, as a person's browser keeps it): the DOM after the page's requests, or a
    /// screenshot when `screenshot` is given.
    static func chromium(_ url: String, profile: URL, screenshot: URL? = nil) async throws -> String {
        let chromium = try #require(Self.chromium)
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                         "--user-data-dir=\(profile.path)", "--window-size=1400,900", "--virtual-time-budget=15000"]
        arguments.append(screenshot.map { "--screenshot=\($0.path)" } ?? "--dump-dom")
        arguments.append(url)
        let run = try TestProcess(chromium, arguments)
        let status = await run.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "chromium on \(url): \(run.stderr.suffix(2000))")
        return run.stdout
    }

    @Test(.enabled(if: chromium != nil, "Debian's chromium is not installed (apt-get install chromium): the dashboard is not tested"))
    func chromiumLogsInOnceAndTheFleetGridAndAVoltagePlotGetData() async throws {
        let directory = TestPaths.temporaryDirectory("dashboard")
        let profile = TestPaths.temporaryDirectory("dashboard-chromium")
        let shots = TestPaths.temporaryDirectory("dashboard-screenshots")
        defer {
            try? FileManager.default.removeItem(at: directory)
            try? FileManager.default.removeItem(at: profile)
        }
        // The dashboard from a copy with a symlink leading out of it (which must not be served).
        let dashboard = TestPaths.temporaryDirectory("dashboard-files").appendingPathComponent("dashboard")
        defer { try? FileManager.default.removeItem(at: dashboard.deletingLastPathComponent()) }
        try FileManager.default.copyItem(at: TestPaths.repositoryRoot.appendingPathComponent("Sources/Dashboard"), to: dashboard)
        try FileManager.default.createSymbolicLink(atPath: dashboard.appendingPathComponent("outside.js").path, withDestinationPath: "/etc/passwd")
        let httpPort = TestPaths.freePort()
        let base = "http://127.0.0.1:\(httpPort)"
        let demo = try TestProcess(TestPaths.cellfleet, [
            "demo", "--data-dir", directory.path, "--port", "\(TestPaths.freePort())", "--channels", "3",
            "--rate", "600", "--speed", "36000", "--duration", "300", "--http", "127.0.0.1:\(httpPort)",
        ], environment: ["CELLFLEET_DASHBOARD": dashboard.path])
        defer { demo.terminate() }
        try await HTTPTest.waitUntilListening(base + "/api/v1/session", seconds: 120)

        // The static files are public; the API is not.
        #expect(try await HTTPTest.request(.GET, base + "/").text.contains(#"id="status""#))
        #expect(try await HTTPTest.request(.GET, base + "/dashboard/app.js").headers.first(name: "Content-Type")?.hasPrefix("text/javascript") == true)
        #expect(try await HTTPTest.request(.GET, base + "/javascript/dygraphs/dygraph.min.js").status == 200)
        #expect(try await HTTPTest.request(.GET, base + "/javascript/chart.js/chart.min.js").status == 200)
        #expect(try await HTTPTest.request(.GET, base + "/dashboard/").status == 404, "no directory listing")
        #expect(try await HTTPTest.request(.GET, base + "/dashboard/..%2F..%2FPackage.swift").status == 404)
        let outside = try await HTTPTest.request(.GET, base + "/dashboard/outside.js")
        #expect(outside.status == 404 && !outside.text.contains("root:"), "a symlink out of the dashboard is not followed")
        #expect(outside.headers.first(name: "Content-Type") == "application/problem+json")
        #expect(try await HTTPTest.request(.GET, base + "/api/v1/fleet").status == 401)

        // The demo's database, from the line it prints: `embedded PostgreSQL: USER@socket DIR/.s.PGSQL.PORT/DB`.
        let line = try #require(demo.stdout.split(separator: "\n").first { $0.hasPrefix("embedded PostgreSQL: ") }, "\(demo.stdout)")
        let match = try #require(line.firstMatch(of: /: (\w+)@socket (.+)\/\.s\.PGSQL\.(\d+)\/(\w+)/), "\(line)")
        let database = "postgres://\(match.1)@localhost:\(match.3)/\(match.4)?host=\(match.2)"
        let token = try APIEndToEndTests.token(database, name: "dashboard-viewer", role: "viewer")

        // A running test with samples to plot.
        var testID: String?
        let deadline = Date().addingTimeInterval(90)
        while testID == nil, Date() < deadline {
            let tests = try await HTTPTest.request(.GET, base + "/api/v1/tests?state=running", token: token).json()["tests"] as? [[String: Any]] ?? []
            for test in tests {
                guard let id = test["test_id"] as? String else { continue }
                let samples = try await HTTPTest.request(.GET, base + "/api/v1/tests/\(id)/samples?points=2000", token: token).json()
                if (samples["count"] as? Int ?? 0) > 10 { testID = id; break }
            }
            if testID == nil { try await Task.sleep(for: .seconds(1)) }
        }
        let test = try #require(testID, "no running test with samples within 90 s")
        // The bare cell's blow-up (≈ 106 test hours, ~11 s in): its test page marks the alerts.
        var alertedTest: String?
        while alertedTest == nil, Date() < deadline {
            let alerts = try await HTTPTest.request(.GET, base + "/api/v1/alerts?severity=fail", token: token).json()["alerts"] as? [[String: Any]] ?? []
            alertedTest = alerts.compactMap { $0["test_id"] as? String }.first
            if alertedTest == nil { try await Task.sleep(for: .seconds(1)) }
        }
        let alerted = try #require(alertedTest, "no fail alert within 90 s")

        // Signed out, the page asks for a token and nothing else.
        let signedOut = Self.status(try await Self.chromium(base + "/#/fleet", profile: profile))
        #expect(signedOut["page"] == "login", "\(signedOut)")

        // The token handed once; the page keeps it.
        let fleetDOM = try await Self.chromium(base + "/?token=\(token)#/fleet", profile: profile)
        let fleet = Self.status(fleetDOM)
        #expect(fleet["page"] == "fleet" && fleet["state"] == "loaded", "\(fleet)")
        #expect(Int(fleet["tiles"] ?? "") == 3, "\(fleet)")
        #expect(fleetDOM.components(separatedBy: "class=\"tile s-").count - 1 == 3, "three tiles in the grid")
        #expect(fleetDOM.contains("data-test=\"\(test)\""), "the running test's tile opens it")
        #expect(fleetDOM.contains("dashboard-viewer (viewer)"), "the page says who is signed in")

        // The next visit needs no token in the address: local storage kept it.
        let testDOM = try await Self.chromium(base + "/#/test/\(test)", profile: profile)
        let testStatus = Self.status(testDOM)
        #expect(testStatus["page"] == "test", "\(testStatus)")
        #expect(Int(testStatus["points"] ?? "") ?? 0 > 0, "the voltage plot received points: \(testStatus)")
        #expect(testStatus["cycles"] != nil, "the cycle plot was drawn: \(testStatus)")
        #expect(testDOM.contains("dygraph-"), "dygraphs drew the voltage plot")

        let alertedStatus = Self.status(try await Self.chromium(base + "/#/test/\(alerted)", profile: profile))
        #expect(Int(alertedStatus["points"] ?? "") ?? 0 > 0 && Int(alertedStatus["marked-alerts"] ?? "") ?? 0 > 0,
                "the alerted test's plot marks its alerts: \(alertedStatus)")

        _ = try await Self.chromium(base + "/#/fleet", profile: profile, screenshot: shots.appendingPathComponent("fleet.png"))
        _ = try await Self.chromium(base + "/#/test/\(alerted)", profile: profile, screenshot: shots.appendingPathComponent("test.png"))
        for name in ["fleet.png", "test.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: shots.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name) in \(shots.path) is a real screenshot (\(size) bytes)")
        }
        print("dashboard screenshots: \(shots.path)")
    }
}
