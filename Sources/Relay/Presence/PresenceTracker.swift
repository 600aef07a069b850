public import Wire

/// Presence, typing and presence subscriptions — in process for the embedded
/// relay; a region keeps the same facts in Redis with TTLs.
protocol PresenceTracker: Sendable {
  func connected(_ session: DeviceSession)
  func heartbeat(_ device: DeviceAddress)
  /// A session ended; `deviceGone` is false when a newer session of the same device replaced it.
  func disconnected(_ session: DeviceSession, deviceGone: Bool)
  func subscribe(_ session: DeviceSession, to users: [UserAddress])
  func unsubscribe(_ session: DeviceSession, from users: [UserAddress])
  /// Records a typing change and tells `audience` if it is one.
  func typing(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress])
  /// Expires overdue devices and typing indicators; returns the expired devices.
  func sweep() -> [DeviceAddress]
}
