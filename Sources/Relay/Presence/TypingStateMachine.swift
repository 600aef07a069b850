internal import RelayCore
public import Wire

/// Typing indicators: on when a member says so, off when they say so or
/// `ttl` after the last "typing". Only changes are reported, so a client that
/// repeats "typing" every few seconds causes one broadcast, not many. Never stored.
public struct TypingStateMachine: Sendable {
  public struct Key: Hashable, Sendable {
    public var conversationID: String
    public var user: UserAddress
  }

  public let ttl: Duration
  private var active: [Key: (deadline: Duration, audience: [UserAddress])] = [:]

  public init(ttl: Duration) { self.ttl = ttl }

  /// Whether the change should be broadcast to `audience`.
  public mutating func update(_ key: Key, typing: Bool, audience: [UserAddress], now: Duration) -> Bool {
    if typing {
      return self.active.updateValue((now + self.ttl, audience), forKey: key) == nil
    }
    return self.active.removeValue(forKey: key) != nil
  }

  /// Indicators whose time ran out, with who to tell.
  public mutating func expire(now: Duration) -> [(key: Key, audience: [UserAddress])] {
    let done = self.active.filter { $0.value.deadline <= now }
    for key in done.keys { self.active.removeValue(forKey: key) }
    return done.map { ($0.key, $0.value.audience) }
  }
}
