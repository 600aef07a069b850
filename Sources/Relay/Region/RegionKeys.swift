internal import RelayCore
internal import Wire

/// The Redis keys and channels a region's nodes share, as the seed design
/// names them.
enum RegionKeys {
  /// Hash `{node, session}`: which node holds the device's stream. TTL: the session TTL.
  static func session(_ device: DeviceAddress) -> String { "session:\(device.user):\(device.deviceID)" }
  /// The prefix of a user's session keys, for the presence script.
  static func sessionPrefix(_ user: UserAddress) -> String { "session:\(user):" }
  /// `online` while any device of the user is; TTL: the presence TTL, refreshed by heartbeats.
  static func presence(_ user: UserAddress) -> String { "presence:\(user)" }
  /// Set of the user's device ids with a session somewhere.
  static func userDevices(_ user: UserAddress) -> String { "user_devices:\(user)" }
  /// Milliseconds since 1970 when the user's last device left.
  static func lastSeen(_ user: UserAddress) -> String { "last_seen:\(user)" }
  /// `1` while the user types in the conversation; TTL: the typing TTL.
  static func typing(_ conversationID: String, _ user: UserAddress) -> String { "typing:\(conversationID):\(user)" }
  /// The node's doorbell channel: `<user>/<device>\t<cursor>` messages.
  static func doorbell(node: String) -> String { "doorbell:\(node)" }
  /// The region's presence and typing events (``RegionEvent``).
  static let events = "relay:events"
}
