import ShippedData
import Foundation
import Testing

@Test func shippedDataIsLookedForInOrderAndInTheNearestCheckout() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString)").resolvingSymlinksInPath()
    let checkout = root.appendingPathComponent("checkout")
    try FileManager.default.createDirectory(at: checkout.appendingPathComponent("schemas"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: checkout.appendingPathComponent(".build/release"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: root.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }

    let candidates = ShippedDataSearchPath.candidates(
        explicit: ["/x/flag"], environmentVariable: "CELLFLEET_TEST_DIRS", installedName: "schemas", checkoutPath: "schemas",
        environment: ["CELLFLEET_TEST_DIRS": "/y/one:/y/two:/x/flag"],
        executablePath: checkout.appendingPathComponent(".build/release/cellfleet").path,
        currentDirectory: root.appendingPathComponent("elsewhere").path)
    #expect(candidates == [
        "/x/flag", "/y/one", "/y/two",
        checkout.appendingPathComponent(".build/share/cellfleet/schemas").path,
        checkout.appendingPathComponent("schemas").path,
    ])
}

@Test func profileSearchPathOrder() {
    let path = ShippedData.profiles.directories(explicit: "/x/explicit", environment: ["CELLFLEET_PROFILES": "/y/env:/z/env"], executablePath: "/opt/cellfleet/bin/cellfleet")
    #expect(Array(path.prefix(4)) == ["/x/explicit", "/y/env", "/z/env", "/opt/cellfleet/share/cellfleet/profiles"])
}


@Test func schemaSearchPathOrder() {
    let path = ShippedData.schemas.directories(explicit: "/x/flag", environment: ["CELLFLEET_SCHEMAS": "/y/env"], executablePath: "/opt/cellfleet/bin/cellfleet")
    #expect(Array(path.prefix(3)) == ["/x/flag", "/y/env", "/opt/cellfleet/share/cellfleet/schemas"])
}
