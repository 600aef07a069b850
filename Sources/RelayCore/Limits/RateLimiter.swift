internal import Synchronization
package import Wire

/// One ``TokenBucket`` per key: per device for sends (its stream and unary
/// sends share it), per peer domain for replication batches.
package final class RateLimiter<Key: Hashable & Sendable>: Sendable {
  private let buckets = Mutex<[Key: TokenBucket]>([:])
  private let rate: Double
  private let burst: Double
  private let refusal: String
  private let clock = ContinuousClock()
  private let epoch: ContinuousClock.Instant

  /// - Parameter refusal: the message of the `resourceExhausted` error for a key over its rate.
  package init(rate: Double, burst: Double, refusal: String) {
    self.rate = rate
    self.burst = burst
    self.refusal = refusal
    self.epoch = self.clock.now
  }

  /// Throws `resourceExhausted` when `key` is over its rate.
  package func admit(_ key: Key) throws(RelayError) {
    let now = self.clock.now - self.epoch
    let admitted = self.buckets.withLock { buckets in
      var bucket = buckets[key] ?? TokenBucket(rate: self.rate, burst: self.burst, now: now)
      defer { buckets[key] = bucket }
      return bucket.take(now: now)
    }
    guard admitted else { throw RelayError(.resourceExhausted, self.refusal) }
  }
}

extension RateLimiter where Key == DeviceAddress {
  package static func sends(rate: Double, burst: Double) -> RateLimiter<DeviceAddress> {
    RateLimiter(
      rate: rate, burst: burst, refusal: "sending faster than \(Int(rate)) messages a second (burst \(Int(burst)))")
  }
}
