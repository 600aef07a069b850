public import Wire

/// A device due a wake-up, as a store hands it out (claimed, on a lease).
public struct WakeUp: Sendable, Hashable {
  public var device: DeviceAddress
  public var endpoint: PushEndpoint
  /// The mailbox head the wake-up covers, and how many entries wait.
  public var head: UInt64
  public var waiting: UInt64
  /// Failed calls for it since the last success.
  public var attempts: Int

  public init(device: DeviceAddress, endpoint: PushEndpoint, head: UInt64, waiting: UInt64, attempts: Int) {
    self.device = device
    self.endpoint = endpoint
    self.head = head
    self.waiting = waiting
    self.attempts = attempts
  }
}

/// How a claimed wake-up went.
public enum WakeUpResult: Sendable, Hashable {
  /// The gateway took it: nothing more until `head` grows and, unless the
  /// device catches up first, until `nextAtMs`.
  case sent(nextAtMs: Int64)
  /// The gateway failed (5xx, timeout, no connection): again at `nextAtMs`.
  case retry(nextAtMs: Int64)
  /// The gateway refused this wake-up for good (a 4xx other than "gone"): it
  /// counts as covered, like a sent one.
  case dropped(nextAtMs: Int64)
  /// The gateway says the token is gone (404, 410): the endpoint is removed.
  case gone
  /// The device was connected when its turn came: released, unchanged.
  case skipped
}
