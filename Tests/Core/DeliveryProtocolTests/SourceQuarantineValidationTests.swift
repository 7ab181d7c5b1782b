import DeliveryProtocol
import Foundation
import Testing
import WireProtocol

/// A source quarantine the coordinator cannot record is refused on receipt, alone, with a reason
/// the agent's operator can act on; a well-formed one passes whatever optional field it leaves out.
struct SourceQuarantineValidationTests {
    static func quarantine(file: String = "land/cell_1-1.xlsx", testID: String = "", reason: String = "the file shrank") -> Cellfleet_Wire_V1_SourceQuarantined {
        var quarantine = Cellfleet_Wire_V1_SourceQuarantined()
        quarantine.deliveryID = 7
        quarantine.agentID = "land-pc-1"
        quarantine.file = file
        quarantine.testID = testID
        quarantine.reason = reason
        return quarantine
    }

    @Test func aFileIsRequiredAndATestIdIsAUUIDOrEmpty() {
        #expect(DeliveryValidator.validate(Self.quarantine()) == nil)
        #expect(DeliveryValidator.validate(Self.quarantine(testID: UUID().uuidString.lowercased())) == nil)
        // No channel, no reason, no time: still recordable.
        #expect(DeliveryValidator.validate(Self.quarantine(reason: "")) == nil)
        #expect(DeliveryValidator.validate(Self.quarantine(file: "")) == "a source quarantine that names no file")
        #expect(DeliveryValidator.validate(Self.quarantine(testID: "cell-7"))?.contains("'cell-7' is not a UUID") == true)
    }
}
