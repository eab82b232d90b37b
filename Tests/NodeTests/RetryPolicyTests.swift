@testable import Node
import Testing

@Suite("Retry policy")
struct RetryPolicyTests {
    @Test("delays double up to the cap, and jitter only shortens them, by at most the jitter fraction")
    func exponentialWithJitter() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maxDelay: .seconds(60), multiplier: 2, jitter: 0.5)
        #expect((1...8).map { policy.nominalDelay(afterFailures: $0) } == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
        #expect(policy.delay(afterFailures: 3, random: 0) == .seconds(4))
        #expect(policy.delay(afterFailures: 3, random: 0.999_999).seconds > 2)
        for failures in 1...10 {
            let nominal = policy.nominalDelay(afterFailures: failures)
            let jittered = policy.delay(afterFailures: failures)
            #expect(jittered <= nominal && jittered >= nominal / 2)
        }
        #expect(policy.nominalDelay(afterFailures: 10_000) == .seconds(60))
    }
}
