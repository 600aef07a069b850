internal import Foundation
internal import GRDB
internal import RelayCore
internal import SwiftProtobuf
public import Wire

extension SQLiteStore {
  public func rememberRemoteDevices(of user: UserAddress, _ devices: [Relay_V1_DeviceInfo]) async throws {
    var list = Relay_V1_DeviceList()
    list.user = user.description
    list.devices = devices
    try await self.write("remembering a remote user's devices") { [list] db in
      try Self.applyDeviceList(list, user: user, db)
    }
  }

  /// Sends a local user's device list to every peer whose users share a
  /// conversation with it (a device was added).
  static func announceDevices(of user: UserAddress, region: LocalRegion?, _ db: Database) throws {
    let coMembers = try String.fetchAll(
      db,
      sql: """
        SELECT DISTINCT o.user_address FROM members m JOIN members o ON o.conversation_id = m.conversation_id
        WHERE m.user_address = ?
        """,
      arguments: [user.description]
    ).compactMap { try? UserAddress(parsing: $0) }
    let relays = try Self.relays(region, for: coMembers + [user], db)
    try Self.announceDevices(
      of: user, to: ConversationReplication.deviceListPeers(of: user, coMembers: coMembers, relays: relays), db)
  }

  static func announceDevices(of user: UserAddress, to peers: [String], _ db: Database) throws {
    guard !peers.isEmpty else { return }
    let event = Relay_V1_FederationEvent.deviceList(
      of: user,
      try Row.fetchAll(
        db, sql: "SELECT * FROM devices WHERE user_address = ? ORDER BY device_id", arguments: [user.description]
      ).map { try Self.deviceRecord($0).info })
    for peer in peers { try Self.enqueue(event, for: peer, db) }
  }

  /// A peer's user's device list, replacing what was known here.
  static func applyDeviceList(_ list: Relay_V1_DeviceList, user: UserAddress, _ db: Database) throws {
    try db.execute(
      sql: "INSERT INTO users (address, created_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
      arguments: [user.description, list.devices.map(\.registeredAtMs).min() ?? 0])
    try db.execute(sql: "DELETE FROM remote_devices WHERE user_address = ?", arguments: [user.description])
    for device in list.devices {
      let address = try RequestValidation.device(device.device, field: "device")
      guard address.user == user else { throw RelayError(.permissionDenied, "a device of another user") }
      try db.execute(
        sql: "INSERT INTO remote_devices (user_address, device_id, identity_key, registered_at_ms) VALUES (?, ?, ?, ?)",
        arguments: [
          user.description, address.deviceID, try device.identityKey.serializedBytes() as Data, device.registeredAtMs,
        ])
    }
  }

  public func versionVector(origin peer: String) async throws -> [Relay_V1_VersionVectorEntry] {
    try await self.read("reading version vectors") { db in
      let entries = try Row.fetchAll(
        db,
        sql: """
          SELECT DISTINCT m.conversation_id, coalesce(v.contiguous_seq, 0) FROM members m
          LEFT JOIN version_vectors v ON v.conversation_id = m.conversation_id AND v.origin_relay = ?
          WHERE \(Self.homedOn(peer, column: "m.user_address"))
          """,
        arguments: [peer, Self.homedOnArgument(peer)]
      ).map { VersionVector.entry(conversationID: $0[0], contiguous: $0[1]) }
      // Another domain, seen as one relay: how far each of its regions' origins is here.
      guard RelayID.region(of: peer) == nil else { return entries }
      let origins = try Row.fetchAll(
        db,
        sql:
          "SELECT conversation_id, origin_relay, contiguous_seq FROM version_vectors WHERE origin_relay LIKE ? || '#%'",
        arguments: [peer]
      ).map { (conversationID: $0[0] as String, origin: $0[1] as String, contiguous: $0[2] as Int64) }
      return VersionVector.withOrigins(entries, origins)
    }
  }

  public func requeue(
    for peer: String, localDomain: String, asGateway: Bool, after vector: [Relay_V1_VersionVectorEntry]
  ) async throws -> Int {
    try await self.write("queueing messages again") { db in
      var queued = 0
      for entry in vector {
        // Only conversations the peer's users are in, and only this relay's own messages.
        guard
          try Bool.fetchOne(
            db,
            sql:
              "SELECT 1 FROM members WHERE conversation_id = ? AND \(Self.homedOn(peer, column: "user_address")) LIMIT 1",
            arguments: [entry.conversationID, Self.homedOnArgument(peer)]) != nil
        else { continue }
        var origins = [localDomain]
        if asGateway && !entry.origins.isEmpty {
          // The gateway region answers for its domain's other regions too: what passed through it.
          origins += try String.fetchAll(
            db,
            sql: """
              SELECT origin_relay FROM version_vectors
              WHERE conversation_id = ? AND origin_relay LIKE ? || '#%' AND origin_relay <> ?
              """,
            arguments: [entry.conversationID, String(RelayID.domain(of: localDomain)), localDomain])
        }
        for origin in origins {
          queued += try Self.requeue(entry, origin: origin, for: peer, db)
        }
      }
      return queued
    }
  }

  /// Queues again for `peer` the messages of `origin` in `entry`'s conversation past what `entry` holds of it.
  private static func requeue(
    _ entry: Relay_V1_VersionVectorEntry, origin: String, for peer: String, _ db: Database
  ) throws -> Int {
    var queued = 0
    let after = try VersionVector.held(entry, of: origin)
    let messages = try Row.fetchAll(
      db,
      sql: """
        SELECT \(CommittedMessage.columns) FROM messages
        WHERE conversation_id = ? AND origin_relay = ? AND origin_seq > ? ORDER BY origin_seq
        """,
      arguments: [entry.conversationID, origin, after]
    ).map(CommittedMessage.init(row:))
    for message in messages {
      let copies = try Row.fetchAll(
        db,
        sql: """
          SELECT recipient_user, recipient_device, ciphertext FROM copies
          WHERE conversation_id = ? AND seq = ? AND \(Self.homedOn(peer, column: "recipient_user"))
          """,
        arguments: [message.conversationID, message.seq, Self.homedOnArgument(peer)]
      ).map { (user: $0[0] as String, device: $0[1] as String, ciphertext: $0[2] as Data) }
      try Self.enqueue(message.replicated(copies: copies), for: peer, db)
      queued += 1
    }
    return queued
  }

  /// SQL that holds when the user in `column` is one `peer` (a ``RelayID``)
  /// homes: a user of its domain, or, for a region of this relay's domain, a
  /// user the directory homes there. One `?`: ``homedOnArgument(_:)``.
  static func homedOn(_ peer: String, column: String) -> String {
    RelayID.region(of: peer) == nil
      ? "\(column) LIKE '%@' || ?" : "\(column) IN (SELECT user_address FROM homes WHERE region = ?)"
  }

  static func homedOnArgument(_ peer: String) -> String { RelayID.region(of: peer) ?? peer }
}
