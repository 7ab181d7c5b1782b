import CellSimulator
import Testing
@testable import CellfleetReports

@Suite struct ScenarioListingTests {
    @Test func listingNamesEveryPreset() {
        let listing = ScenarioListing.text(ScenarioCatalog.all)
        let lines = listing.split(separator: "\n")
        #expect(lines.count == ScenarioCatalog.all.count)
        #expect(lines[0].hasPrefix("1 "))
        #expect(listing.contains("paper-rate-capability"))
        #expect(listing.contains("96 cycles"))
    }
}
