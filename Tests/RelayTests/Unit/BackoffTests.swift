import Testing
import Wire

@testable import RelayTestSupport

@Suite struct BackoffTests {
  @Test func growsToTheMaximumWithinItsUpperHalf() {
    var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), multiplier: 2)
    #expect(backoff.next(unit: 0) == .milliseconds(50))
    #expect(backoff.next(unit: 0.999_999) < .milliseconds(200))
    #expect(backoff.next(unit: 0) == .milliseconds(200))
    #expect(backoff.next(unit: 0.5) == .milliseconds(600))
    for _ in 0 ..< 20 { #expect(backoff.next() <= .seconds(1)) }
    #expect(backoff.next(unit: 0) == .milliseconds(500), "capped at the maximum, jitter in its upper half")
    backoff.reset()
    #expect(backoff.next(unit: 0) == .milliseconds(50))
  }
}
