import CellModel
import FileFollowing
import Foundation
import PropertyBased
import Testing

@Test func aFilesTestIdDependsOnAgentPathAndFirstRecordOnly() {
    let sample = Sample(unixTimeSeconds: 1.7e9, testTimeSeconds: 0, voltageVolts: 0.2, currentAmperes: 1e-4)
    let fingerprint = SourceTestIdentity.fingerprint(ofFirst: sample)
    let id = SourceTestIdentity.testID(agentID: "land-1", relativePath: "a/cell7.csv", fingerprint: fingerprint)
    #expect(id == SourceTestIdentity.testID(agentID: "land-1", relativePath: "a/cell7.csv", fingerprint: fingerprint))
    #expect(UUID(uuidString: id) != nil && Array(id)[14] == "5", "a version-5 UUID")
    #expect(id != SourceTestIdentity.testID(agentID: "land-2", relativePath: "a/cell7.csv", fingerprint: fingerprint))
    #expect(id != SourceTestIdentity.testID(agentID: "land-1", relativePath: "b/cell7.csv", fingerprint: fingerprint))
    var other = sample
    other.voltageVolts = 0.2000001
    #expect(id != SourceTestIdentity.testID(agentID: "land-1", relativePath: "a/cell7.csv", fingerprint: SourceTestIdentity.fingerprint(ofFirst: other)))
}

@Test func thePrefixHashNoticesAnyChangedValueAndIsOrderSensitive() async {
    await propertyCheck(count: 200, input: Gen.double(in: -5...5).array(of: 2...30), Gen.int(in: 0...1000)) { voltages, which in
        let samples = voltages.enumerated().map { Sample(testTimeSeconds: Double($0.offset), voltageVolts: $0.element, currentAmperes: 0.001, capacityAmpHours: 0.5) }
        var straight = RecordPrefixHash()
        for s in samples { straight.add(s) }
        var changed = RecordPrefixHash()
        let k = which % samples.count
        for (i, s) in samples.enumerated() {
            var t = s
            if i == k { t.voltageVolts = t.voltageVolts.nextUp }
            changed.add(t)
        }
        #expect(straight != changed)
        var again = RecordPrefixHash()
        for s in samples { again.add(s) }
        #expect(straight == again && straight.count == UInt64(samples.count))
        var dropped = samples[k]
        dropped.capacityAmpHours = nil
        var missing = RecordPrefixHash()
        for (i, s) in samples.enumerated() { missing.add(i == k ? dropped : s) }
        #expect(missing != straight, "a missing value is not any value")
    }
}
