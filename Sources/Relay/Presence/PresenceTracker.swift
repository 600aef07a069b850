internal import RelayCore
internal import Wire

/// Presence, typing and presence subscriptions — in process for the embedded
/// relay; a region keeps the same facts in Redis with TTLs.
protocol PresenceTracker: Sendable {
  /// A session opened; on a region node, returns once the region knows
  /// which node holds it (so no doorbell for it can be missed after its sync).
  func connected(_ session: DeviceSession) async
  func heartbeat(_ session: DeviceSession)
  /// A session ended; `deviceGone` is false when a newer session of the same device replaced it.
  func disconnected(_ session: DeviceSession, deviceGone: Bool)
  /// With `snapshot`, the session gets the users' current presence at once
  /// (users of other relays: their relay answers that instead).
  func subscribe(_ session: DeviceSession, to users: [UserAddress], snapshot: Bool)
  func unsubscribe(_ session: DeviceSession, from users: [UserAddress])
  /// Records a typing change and tells `audience` if it is one.
  func typing(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress])
  /// Expires overdue devices and typing indicators; returns the expired devices.
  func sweep() -> [DeviceAddress]
}

/// What a region node's presence tells the rest of the region, and asks of
/// it. Implemented over Redis by ``RegionLink``.
protocol PresenceRegion: Sendable {
  /// Records that this node holds the device's stream (`session:` key).
  func register(_ session: DeviceSession) async
  /// Refreshes the session's and the user's TTLs.
  func heartbeat(_ session: DeviceSession)
  /// Forgets the session, if it is still the device's current one anywhere.
  func unregister(_ session: DeviceSession)
  /// A user came online or went offline on this node; the region decides
  /// whether that changes the user's presence, and tells every node.
  func announce(_ action: PresenceStateMachine.Action)
  func announceTyping(_ key: TypingStateMachine.Key, typing: Bool, audience: [UserAddress])
  /// Sends `session` the current presence of each user, as the region knows it.
  func snapshot(_ users: [UserAddress], to session: DeviceSession)
}
