internal import RelayCore
internal import Wire

/// Doorbells this node could not forward because Redis was out of reach,
/// kept until it is back: then they are forwarded, so a message committed
/// here meanwhile reaches a device streaming on another node without
/// waiting for that device's next message or reconnect.
///
/// Only the highest cursor per device matters. Past `limit` devices the
/// list is dropped for one region-wide "look at your mailboxes" instead.
struct UndeliveredDoorbells: Sendable {
  enum Backlog: Equatable, Sendable {
    case none
    case doorbells([Doorbell])
    /// Too many to keep: every node should ring all of its sessions.
    case everyone
  }

  let limit: Int
  private var highest: [DeviceAddress: UInt64] = [:]
  private var overflowed = false

  init(limit: Int) { self.limit = limit }

  mutating func add(_ doorbells: [Doorbell]) {
    guard !self.overflowed else { return }
    for bell in doorbells { self.highest[bell.device] = max(self.highest[bell.device] ?? 0, bell.cursor) }
    if self.highest.count > self.limit { self.overflow() }
  }

  /// Gives up on the list: the next ``take()`` asks every node to look.
  mutating func overflow() {
    self.overflowed = true
    self.highest = [:]
  }

  /// Puts back what ``take()`` gave, when it could not be sent after all.
  mutating func putBack(_ backlog: Backlog) {
    switch backlog {
    case .none: break
    case .doorbells(let doorbells): self.add(doorbells)
    case .everyone: self.overflow()
    }
  }

  /// What to send now that Redis is back; empties the backlog.
  mutating func take() -> Backlog {
    defer {
      self.highest = [:]
      self.overflowed = false
    }
    if self.overflowed { return .everyone }
    if self.highest.isEmpty { return .none }
    return .doorbells(self.highest.map { Doorbell(device: $0.key, cursor: $0.value) })
  }
}
