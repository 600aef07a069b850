internal import RelayCore
internal import Synchronization
internal import Wire

/// The live device sessions on this relay process, by user and device.
///
/// A second stream for the same device replaces the first, which is closed
/// with `ABORTED`. Doorbells for devices without a session here go to
/// `elsewhere` — in a region, to the node that holds the device's stream; on
/// the embedded relay nowhere: the mailbox keeps everything for the next
/// connect.
final class SessionRegistry: Sendable {
  private let users = Mutex<[UserAddress: [String: DeviceSession]]>([:])
  private let elsewhere: @Sendable ([Doorbell]) -> Void

  init(elsewhere: @escaping @Sendable ([Doorbell]) -> Void = { _ in }) {
    self.elsewhere = elsewhere
  }

  /// Registers `session`, closing any older session of the same device.
  func attach(_ session: DeviceSession) {
    let previous = self.users.withLock { users in
      users[session.device.user, default: [:]].updateValue(session, forKey: session.device.deviceID)
    }
    previous?.close(RelayError(.aborted, "superseded by a newer stream for this device"))
  }

  /// Removes `session` if it is still the device's current one; false when a
  /// newer session has replaced it.
  @discardableResult
  func detach(_ session: DeviceSession) -> Bool {
    self.users.withLock { users in
      guard users[session.device.user]?[session.device.deviceID]?.id == session.id else { return false }
      users[session.device.user]?.removeValue(forKey: session.device.deviceID)
      if users[session.device.user]?.isEmpty == true { users.removeValue(forKey: session.device.user) }
      return true
    }
  }

  func session(for device: DeviceAddress) -> DeviceSession? {
    self.users.withLock { $0[device.user]?[device.deviceID] }
  }

  /// Every live session.
  func all() -> [DeviceSession] {
    self.users.withLock { $0.values.flatMap(\.values) }
  }

  /// Every live session of each user.
  func sessions(of users: some Sequence<UserAddress>) -> [DeviceSession] {
    self.users.withLock { table in users.flatMap { table[$0].map { Array($0.values) } ?? [] } }
  }

  /// Rings the sessions of these doorbells' devices, here or (through
  /// `elsewhere`) on the node of the region that holds them; returns the
  /// doorbells of devices with no session here.
  @discardableResult
  func ring(_ doorbells: [Doorbell]) -> [Doorbell] {
    guard !doorbells.isEmpty else { return [] }
    let (live, away) = self.users.withLock { table in
      var live = [(DeviceSession, Doorbell)]()
      var away = [Doorbell]()
      for bell in doorbells {
        if let session = table[bell.device.user]?[bell.device.deviceID] {
          live.append((session, bell))
        } else {
          away.append(bell)
        }
      }
      return (live, away)
    }
    for (session, bell) in live {
      if let entry = bell.entry { session.ring(with: entry) } else { session.ring() }
    }
    if !away.isEmpty { self.elsewhere(away) }
    return away
  }

  /// Rings sessions on this process only: for doorbells another node forwarded.
  func ringHere(_ doorbells: [Doorbell]) {
    let live = self.users.withLock { table in
      doorbells.compactMap { bell in table[bell.device.user]?[bell.device.deviceID].map { ($0, bell) } }
    }
    for (session, _) in live { session.ring() }
  }

  func closeAll(_ error: RelayError) {
    for session in self.users.withLock({ $0.values.flatMap(\.values) }) { session.close(error) }
  }
}
