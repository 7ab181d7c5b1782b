import AlertRouting
import Testing

@Suite struct ReceiverIdentityTests {
    @Test func theIdIsStableFromKindAndURL() {
        let id = ReceiverIdentity.id(kind: .webhook, url: "http://127.0.0.1:9000/hook")
        #expect(id == ReceiverIdentity.id(kind: .webhook, url: "http://127.0.0.1:9000/hook"))
        #expect(id.hasPrefix("webhook-") && id.count == "webhook-".count + 16)
        #expect(id != ReceiverIdentity.id(kind: .webhook, url: "http://127.0.0.1:9001/hook"))
        #expect(ReceiverIdentity.id(kind: .alertmanager, url: "http://am:9093").hasPrefix("alertmanager-"))
        // FNV-1a of the empty string is its offset basis.
        #expect(ReceiverIdentity.id(kind: .webhook, url: "") == "webhook-cbf29ce484222325")
    }
}
