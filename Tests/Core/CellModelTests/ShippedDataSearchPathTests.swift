import CellModel
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
