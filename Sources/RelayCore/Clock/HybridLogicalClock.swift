internal import Foundation
internal import Synchronization

/// A hybrid logical clock: wall-clock milliseconds in the high 48 bits and a
/// logical counter in the low 16, so timestamps stay close to real time, never
/// go backwards on one relay, and order causally across relays: every message
/// applied from a peer is observed, so a reply made here sorts after the
/// message it answers even when the peer's clock runs ahead.
///
/// Display order in a conversation is `(hlc, origin relay, origin seq)`.
public final class HybridLogicalClock: Sendable {
  /// How far ahead of this relay's wall clock an observed timestamp may pull
  /// the clock: a peer whose clock (or whose intent) is further ahead moves it
  /// this far and no further, so no peer can exhaust the clock's range.
  public static let maximumForwardDrift: Duration = .seconds(3600)

  /// The pure clock state, advanced with the wall time passed in.
  public struct State: Sendable, Hashable {
    public private(set) var last: UInt64 = 0

    public init() {}

    /// A timestamp greater than every one issued or observed before.
    public mutating func tick(wallMs: Int64) -> UInt64 {
      let physical = Self.physical(wallMs)
      // `last` stays within a drift bound of the wall clock, so the counter never reaches the top.
      self.last = physical > self.last ? physical : self.last &+ 1
      return self.last
    }

    /// Takes a remote timestamp into account, as far as `maxDriftMs` past `wallMs`.
    public mutating func observe(_ remote: UInt64, wallMs: Int64, maxDriftMs: Int64) {
      let ceiling = Self.physical(wallMs.addingReportingOverflow(maxDriftMs).partialValue) | 0xFFFF
      let bounded = min(remote, ceiling)
      if bounded > self.last { self.last = bounded }
    }

    /// Wall milliseconds in the high 48 bits; a time before 1970 is 0, one past the 48-bit range the top.
    package static func physical(_ wallMs: Int64) -> UInt64 {
      UInt64(min(max(0, wallMs), Int64(1) << 47 - 1)) << 16
    }
  }

  private let state = Mutex(State())
  private let wallClock: @Sendable () -> Int64

  public init(wallClock: @escaping @Sendable () -> Int64 = HybridLogicalClock.systemMilliseconds) {
    self.wallClock = wallClock
  }

  /// A new timestamp, and the wall time it was made at.
  public func now() -> (hlc: UInt64, wallMs: Int64) {
    let wall = self.wallClock()
    return (self.state.withLock { $0.tick(wallMs: wall) }, wall)
  }

  /// Takes a timestamp made elsewhere (a peer's message) into account: every
  /// timestamp issued from now on is greater, within the drift bound.
  public func observe(_ remote: UInt64) {
    let wall = self.wallClock()
    let drift = Self.maximumForwardDrift.components.seconds * 1000
    self.state.withLock { $0.observe(remote, wallMs: wall, maxDriftMs: drift) }
  }

  @Sendable public static func systemMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
  }
}
