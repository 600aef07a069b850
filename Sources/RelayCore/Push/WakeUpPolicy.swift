/// What a gateway's answer means for a wake-up, and when to try again: the
/// decision the pusher makes on every call, pure so it is tested alone.
package struct WakeUpPolicy: Sendable {
  /// At most one wake-up per device per interval while it stays offline.
  package var intervalMs: Int64
  /// Retries after a failure: `retryInitialMs` doubling up to `retryMaximumMs`, with ±20 % jitter.
  package var retryInitialMs: Int64
  package var retryMaximumMs: Int64

  package init(intervalMs: Int64, retryInitialMs: Int64, retryMaximumMs: Int64) {
    self.intervalMs = intervalMs
    self.retryInitialMs = retryInitialMs
    self.retryMaximumMs = retryMaximumMs
  }

  /// What the gateway answered: an HTTP status, or no answer (a timeout, a
  /// refused connection, a TLS failure).
  package enum Answer: Sendable, Hashable {
    case status(Int)
    case noAnswer
  }

  /// The result for `answer` to a call made at `nowMs` after `attempts`
  /// failed ones; `jitter` in [-1, 1] spreads retries (random in production).
  package func result(_ answer: Answer, attempts: Int, nowMs: Int64, jitter: Double) -> WakeUpResult {
    switch answer {
    case .status(let code) where (200 ..< 300).contains(code):
      return .sent(nextAtMs: nowMs + self.intervalMs)
    case .status(404), .status(410):
      return .gone
    case .status(let code) where (400 ..< 500).contains(code) && code != 408 && code != 429:
      return .dropped(nextAtMs: nowMs + self.intervalMs)
    default:
      return .retry(nextAtMs: nowMs + self.retryDelayMs(attempts: attempts, jitter: jitter))
    }
  }

  /// The delay before retry number `attempts + 1`.
  package func retryDelayMs(attempts: Int, jitter: Double) -> Int64 {
    var delay = Double(self.retryInitialMs)
    for _ in 0 ..< min(attempts, 62) where delay < Double(self.retryMaximumMs) { delay *= 2 }
    delay = min(delay, Double(self.retryMaximumMs))
    return max(1, Int64(delay * (1 + 0.2 * max(-1, min(1, jitter)))))
  }
}
