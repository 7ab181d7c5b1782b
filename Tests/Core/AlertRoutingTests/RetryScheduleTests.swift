import AlertRouting
import PropertyBased
import Testing

@Suite struct RetryScheduleTests {
    let schedule = RetrySchedule()

    @Test func theNominalDelaysDoubleFromOneSecondToAMinute() {
        #expect((1...9).map { schedule.nominalDelaySeconds(afterFailedAttempts: $0) } == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        #expect(schedule.nominalDelaySeconds(afterFailedAttempts: 0) == 1)
        #expect(schedule.nominalDelaySeconds(afterFailedAttempts: 10_000) == 60)
    }

    @Test func jitterIsDeterministicAndDiffersBetweenDeliveries() {
        #expect(schedule.delaySeconds(afterFailedAttempts: 3, deliveryID: 9) == schedule.delaySeconds(afterFailedAttempts: 3, deliveryID: 9))
        let delays = Set((1...50).map { schedule.delaySeconds(afterFailedAttempts: 8, deliveryID: Int64($0)) })
        #expect(delays.count > 40)
        let none = RetrySchedule(jitterFraction: 0)
        #expect(none.delaySeconds(afterFailedAttempts: 8, deliveryID: 5) == 60)
    }

    @Test func everyDelayIsWithinItsJitterBandTheFirstWithinTwoSecondsNoneOverTheCap() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 1...200), Gen.int64(in: .min ... .max), Gen.double(in: 0...1)) { attempts, id, jitter in
            let schedule = RetrySchedule(jitterFraction: jitter)
            let nominal = schedule.nominalDelaySeconds(afterFailedAttempts: attempts)
            let delay = schedule.delaySeconds(afterFailedAttempts: attempts, deliveryID: id)
            #expect(delay <= nominal && delay >= nominal * (1 - jitter) && delay > 0)
            #expect(delay <= 60)
            #expect(schedule.delaySeconds(afterFailedAttempts: 1, deliveryID: id) <= 2)
            // The back-off never shrinks from one attempt to the next (nominally).
            #expect(schedule.nominalDelaySeconds(afterFailedAttempts: attempts + 1) >= nominal)
        }
    }

    @Test func anHourOfRetriesAsksAboutOnceAMinute() {
        var elapsed = 0.0, attempts = 0
        while elapsed < 3600 {
            attempts += 1
            elapsed += schedule.delaySeconds(afterFailedAttempts: attempts, deliveryID: 77)
        }
        #expect((60...85).contains(attempts))
    }
}
