internal import Foundation
internal import PostgresNIO
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

extension PostgresStore {
  /// A conversation's metadata from its owning relay: applied only when newer
  /// than what is here; members replaced (read positions of those who stay kept).
  /// A member of `localDomain` must be registered here; nil (the state comes
  /// from another region of this domain) when members of the domain may be homed elsewhere.
  static func applyConversation(
    _ state: Relay_V1_ConversationState, members: [ConversationRecord.Member], localDomain: String?,
    _ db: PostgresConnection
  ) async throws {
    let version = try Int64(wire: state.version, field: "conversation version")
    let existing = try await db.rows(
      "SELECT home_relay, version FROM conversations WHERE id = \(state.id) FOR UPDATE"
    ).first.map { try $0.decode((String, Int64).self) }.map { (home: $0.0, version: $0.1) }
    if let existing {
      guard existing.home == state.homeRelay else {
        throw RelayError(.permissionDenied, "the conversation is owned by another relay")
      }
      guard existing.version < version else { return }  // as new or newer here already
    }
    for member in members {
      if member.user.domain == localDomain {
        guard try await Self.userExists(db, member.user) else {
          throw RelayError(.notFound, "a member of this relay's domain is not registered here")
        }
      } else {
        try await db.run(
          """
          INSERT INTO users (address, created_at_ms) VALUES (\(member.user.description), \(state.createdAtMs))
          ON CONFLICT DO NOTHING
          """)
      }
    }
    let kind = Int16(
      state.kind == .direct ? ConversationRecord.Kind.direct.rawValue : ConversationRecord.Kind.group.rawValue)
    if existing == nil {
      // Two relays may each have created the pair's direct conversation; the second one stays keyless.
      let key = state.kind == .direct ? members.map(\.user.description).sorted().joined(separator: "|") : nil
      var directKey = key
      if let key, try await !db.rows("SELECT 1 FROM conversations WHERE direct_key = \(key)").isEmpty {
        directKey = nil
      }
      try await db.run(
        """
        INSERT INTO conversations (id, kind, name, direct_key, home_relay, created_by, created_at_ms, last_activity_ms,
          version)
        VALUES (\(state.id), \(kind), \(state.name), \(directKey), \(state.homeRelay), \(state.createdBy),
          \(state.createdAtMs), \(state.createdAtMs), \(version))
        """)
    } else {
      try await db.run("UPDATE conversations SET name = \(state.name), version = \(version) WHERE id = \(state.id)")
    }
    let users = members.map(\.user.description)
    try await db.run(
      "DELETE FROM members WHERE conversation_id = \(state.id) AND NOT (user_address = ANY(\(users)::text[]))")
    for member in members {
      try await db.run(
        """
        INSERT INTO members (conversation_id, user_address, role, joined_at_ms)
        VALUES (\(state.id), \(member.user.description), \(Int16(member.role.rawValue)), \(state.createdAtMs))
        ON CONFLICT (conversation_id, user_address) DO UPDATE SET role = excluded.role
        """)
    }
  }

  /// A peer's user's device list, replacing what was known here.
  static func applyDeviceList(_ list: Relay_V1_DeviceList, user: UserAddress, _ db: PostgresConnection) async throws {
    let since = list.devices.map(\.registeredAtMs).min() ?? 0
    try await db.run(
      "INSERT INTO users (address, created_at_ms) VALUES (\(user.description), \(since)) ON CONFLICT DO NOTHING")
    try await db.run("DELETE FROM remote_devices WHERE user_address = \(user.description)")
    for device in list.devices {
      let address = try RequestValidation.device(device.device, field: "device")
      guard address.user == user else { throw RelayError(.permissionDenied, "a device of another user") }
      let key: Data = try device.identityKey.serializedBytes()
      try await db.run(
        """
        INSERT INTO remote_devices (user_address, device_id, identity_key, registered_at_ms)
        VALUES (\(user.description), \(address.deviceID), \(key), \(device.registeredAtMs))
        """)
    }
  }
}
