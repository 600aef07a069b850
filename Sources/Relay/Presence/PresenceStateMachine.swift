internal import RelayCore
public import Wire

/// Who is online, from device connects, heartbeats and disconnects.
///
/// A device stays present until `ttl` after its last heartbeat; a user is
/// online while any device is present; when the last one goes, the user's
/// last-seen time is kept. Pure state: time comes in as arguments (a monotonic
/// `now` for expiry, wall milliseconds for last-seen), so tests use a fake clock.
public struct PresenceStateMachine: Sendable {
  public enum Action: Sendable, Hashable {
    case online(UserAddress)
    case offline(UserAddress, lastSeenMs: Int64)
  }

  private struct UserState: Sendable {
    var expiry: [String: Duration] = [:]
    var lastSeenMs: Int64 = 0
  }

  public let ttl: Duration
  private var users: [UserAddress: UserState] = [:]

  public init(ttl: Duration) { self.ttl = ttl }

  public mutating func connected(_ device: DeviceAddress, now: Duration) -> Action? {
    let wasOnline = self.isOnline(device.user)
    self.users[device.user, default: UserState()].expiry[device.deviceID] = now + self.ttl
    return wasOnline ? nil : .online(device.user)
  }

  /// Refreshes a present device; false if it is not present.
  public mutating func heartbeat(_ device: DeviceAddress, now: Duration) -> Bool {
    guard self.users[device.user]?.expiry[device.deviceID] != nil else { return false }
    self.users[device.user]?.expiry[device.deviceID] = now + self.ttl
    return true
  }

  public mutating func disconnected(_ device: DeviceAddress, wallMs: Int64) -> Action? {
    guard self.users[device.user]?.expiry.removeValue(forKey: device.deviceID) != nil else { return nil }
    return self.wentOffline(device.user, wallMs: wallMs)
  }

  /// Removes devices whose heartbeat is overdue.
  public mutating func expire(now: Duration, wallMs: Int64) -> (actions: [Action], expired: [DeviceAddress]) {
    var actions = [Action]()
    var expired = [DeviceAddress]()
    for (user, state) in self.users where state.expiry.values.contains(where: { $0 <= now }) {
      for (deviceID, deadline) in state.expiry where deadline <= now {
        self.users[user]?.expiry.removeValue(forKey: deviceID)
        if let device = try? DeviceAddress(user: user, deviceID: deviceID) { expired.append(device) }
      }
      if let action = self.wentOffline(user, wallMs: wallMs) { actions.append(action) }
    }
    return (actions, expired)
  }

  public func isOnline(_ user: UserAddress) -> Bool { self.users[user]?.expiry.isEmpty == false }

  /// 0 when online or never seen.
  public func lastSeenMs(_ user: UserAddress) -> Int64 {
    self.isOnline(user) ? 0 : self.users[user]?.lastSeenMs ?? 0
  }

  private mutating func wentOffline(_ user: UserAddress, wallMs: Int64) -> Action? {
    guard self.users[user]?.expiry.isEmpty == true else { return nil }
    self.users[user]?.lastSeenMs = wallMs
    return .offline(user, lastSeenMs: wallMs)
  }
}
