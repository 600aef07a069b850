internal import Synchronization
internal import Wire

/// One ``TokenBucket`` per device, shared by its stream and unary sends.
final class SendRateLimiter: Sendable {
  private let buckets = Mutex<[DeviceAddress: TokenBucket]>([:])
  private let rate: Double
  private let burst: Double
  private let clock = ContinuousClock()
  private let epoch: ContinuousClock.Instant

  init(rate: Double, burst: Double) {
    self.rate = rate
    self.burst = burst
    self.epoch = self.clock.now
  }

  /// Throws `resourceExhausted` when the device is over its rate.
  func admit(_ device: DeviceAddress) throws(RelayError) {
    let now = self.clock.now - self.epoch
    let admitted = self.buckets.withLock { buckets in
      var bucket = buckets[device] ?? TokenBucket(rate: self.rate, burst: self.burst, now: now)
      defer { buckets[device] = bucket }
      return bucket.take(now: now)
    }
    guard admitted else {
      throw RelayError(
        .resourceExhausted, "sending faster than \(Int(self.rate)) messages a second (burst \(Int(self.burst)))")
    }
  }
}
