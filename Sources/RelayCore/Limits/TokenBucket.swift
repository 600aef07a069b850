/// A token bucket: `rate` tokens a second up to `burst`; a send takes one.
///
/// Pure state, advanced by the time passed in, so tests drive it with a fake clock.
public struct TokenBucket: Sendable, Hashable {
  public let rate: Double
  public let burst: Double
  public private(set) var tokens: Double
  private var lastRefill: Duration

  public init(rate: Double, burst: Double, now: Duration) {
    self.rate = rate
    self.burst = burst
    self.tokens = burst
    self.lastRefill = now
  }

  /// Takes one token if there is one.
  public mutating func take(now: Duration) -> Bool {
    guard self.tokens(now: now) >= 1 else { return false }
    self.tokens -= 1
    return true
  }

  /// The tokens there are at `now` (refilled for the time since the last look).
  public mutating func tokens(now: Duration) -> Double {
    let elapsed = now - self.lastRefill
    if elapsed > .zero {
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      self.tokens = min(self.burst, self.tokens + seconds * self.rate)
      self.lastRefill = now
    }
    return self.tokens
  }
}
