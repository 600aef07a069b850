import Testing

@testable import RelayCore

@Suite("Wake-up policy: what a push gateway's answer means")
struct WakeUpPolicyTests {
  let policy = WakeUpPolicy(intervalMs: 60_000, retryInitialMs: 1000, retryMaximumMs: 8000)

  @Test("2xx is sent; 404 and 410 mean the token is gone; other 4xx drop the wake-up; the rest retry")
  func answers() {
    #expect(self.policy.result(.status(200), attempts: 3, nowMs: 10, jitter: 0) == .sent(nextAtMs: 60_010))
    #expect(self.policy.result(.status(204), attempts: 0, nowMs: 10, jitter: 0) == .sent(nextAtMs: 60_010))
    #expect(self.policy.result(.status(410), attempts: 0, nowMs: 10, jitter: 0) == .gone)
    #expect(self.policy.result(.status(404), attempts: 0, nowMs: 10, jitter: 0) == .gone)
    #expect(self.policy.result(.status(400), attempts: 0, nowMs: 10, jitter: 0) == .dropped(nextAtMs: 60_010))
    #expect(self.policy.result(.status(503), attempts: 0, nowMs: 10, jitter: 0) == .retry(nextAtMs: 1010))
    #expect(self.policy.result(.status(429), attempts: 0, nowMs: 10, jitter: 0) == .retry(nextAtMs: 1010))
    #expect(self.policy.result(.status(408), attempts: 0, nowMs: 10, jitter: 0) == .retry(nextAtMs: 1010))
    #expect(self.policy.result(.noAnswer, attempts: 1, nowMs: 10, jitter: 0) == .retry(nextAtMs: 2010))
    #expect(self.policy.result(.status(301), attempts: 0, nowMs: 10, jitter: 0) == .retry(nextAtMs: 1010))
  }

  @Test("retries back off exponentially up to the maximum, spread by at most a fifth either way")
  func backoff() {
    #expect(
      (0 ..< 6).map { self.policy.retryDelayMs(attempts: $0, jitter: 0) } == [1000, 2000, 4000, 8000, 8000, 8000])
    #expect(self.policy.retryDelayMs(attempts: 0, jitter: 1) == 1200)
    #expect(self.policy.retryDelayMs(attempts: 0, jitter: -1) == 800)
    #expect(self.policy.retryDelayMs(attempts: 1_000_000, jitter: 5) == 9600)
  }
}
