internal import RelayCore
internal import Synchronization

/// How fast calls (HTTP/2 streams) may be opened: per client address, and on
/// the whole relay. NIO stops a connection that resets streams too fast; an
/// attacker who spreads its resets over many connections is stopped here,
/// by address, whatever the connection. Pure state, advanced by the time
/// passed in (tests drive it with a fake clock); ``ConnectionGuard`` closes a
/// connection whose stream was refused.
struct StreamAdmission: Sendable {
  struct Limits: Sendable, Hashable {
    var perAddressRate: Double
    var perAddressBurst: Double
    var globalRate: Double
    var globalBurst: Double
    /// Addresses tracked at most; past it, those whose bucket is full again are forgotten.
    var maxAddresses: Int
  }

  enum Refusal: Sendable, Hashable { case address, global }

  private let limits: Limits
  private var addresses: [String: TokenBucket] = [:]
  private var global: TokenBucket

  init(_ limits: Limits, now: Duration) {
    self.limits = limits
    self.global = TokenBucket(rate: limits.globalRate, burst: limits.globalBurst, now: now)
  }

  /// nil when a stream from `address` may open now; else who is over its rate.
  mutating func admit(_ address: String, now: Duration) -> Refusal? {
    if self.addresses[address] == nil && self.addresses.count >= self.limits.maxAddresses {
      self.forgetIdle(now: now)
    }
    var bucket =
      self.addresses[address]
      ?? TokenBucket(rate: self.limits.perAddressRate, burst: self.limits.perAddressBurst, now: now)
    defer { self.addresses[address] = bucket }
    guard bucket.take(now: now) else { return .address }
    guard self.global.take(now: now) else { return .global }
    return nil
  }

  var trackedAddresses: Int { self.addresses.count }

  /// Drops the addresses whose buckets have refilled: they are as good as new.
  private mutating func forgetIdle(now: Duration) {
    self.addresses = self.addresses.filter { _, bucket in
      var probe = bucket
      return probe.tokens(now: now) < probe.burst
    }
    // Still full of busy addresses: forget the lot rather than grow without bound.
    if self.addresses.count >= self.limits.maxAddresses { self.addresses.removeAll(keepingCapacity: true) }
  }
}

/// ``StreamAdmission`` behind a lock, on the continuous clock.
final class StreamGate: Sendable {
  private let state: Mutex<StreamAdmission>
  private let clock = ContinuousClock()
  private let epoch: ContinuousClock.Instant

  init(_ limits: StreamAdmission.Limits) {
    self.epoch = self.clock.now
    self.state = Mutex(StreamAdmission(limits, now: .zero))
  }

  func admit(_ address: String) -> StreamAdmission.Refusal? {
    let now = self.clock.now - self.epoch
    return self.state.withLock { $0.admit(address, now: now) }
  }
}

extension RelayConfiguration.Connection {
  /// The configured stream rates as the admission's limits (bursts of two seconds' worth).
  var streamLimits: StreamAdmission.Limits {
    StreamAdmission.Limits(
      perAddressRate: self.streamsPerSecondPerAddress, perAddressBurst: 2 * self.streamsPerSecondPerAddress,
      globalRate: self.streamsPerSecond, globalBurst: 2 * self.streamsPerSecond, maxAddresses: 65_536)
  }
}
