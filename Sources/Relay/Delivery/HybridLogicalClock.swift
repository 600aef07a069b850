internal import Foundation
public import Synchronization

/// A hybrid logical clock: wall-clock milliseconds in the high 48 bits and a
/// logical counter in the low 16, so timestamps stay close to real time, never
/// go backwards on one relay, and order causally across relays once remote
/// timestamps are observed.
///
/// Display order in a conversation is `(hlc, origin relay, origin seq)`.
public final class HybridLogicalClock: Sendable {
  /// The pure clock state, advanced with the wall time passed in.
  public struct State: Sendable, Hashable {
    public private(set) var last: UInt64 = 0

    public init() {}

    /// A timestamp greater than every one issued or observed before.
    public mutating func tick(wallMs: Int64) -> UInt64 {
      let physical = UInt64(max(0, wallMs)) << 16
      self.last = physical > self.last ? physical : self.last + 1
      return self.last
    }

    /// Takes a remote timestamp into account.
    public mutating func observe(_ remote: UInt64) {
      if remote > self.last { self.last = remote }
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

  public func observe(_ remote: UInt64) { self.state.withLock { $0.observe(remote) } }

  @Sendable public static func systemMilliseconds() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
  }
}
