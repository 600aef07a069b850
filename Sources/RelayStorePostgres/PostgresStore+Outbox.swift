internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import RelayCore
internal import SwiftProtobuf
public import Wire

extension PostgresStore {
  /// Appends an event to `peer`'s outbox, in the caller's transaction.
  static func enqueue(_ event: Relay_V1_FederationEvent, for peer: String, _ db: PostgresConnection) async throws {
    let bytes = try event.serialized()
    try await db.run(
      """
      INSERT INTO outbox (peer, event, queued_at_ms)
      VALUES (\(peer), \(bytes), \(HybridLogicalClock.systemMilliseconds()))
      """)
  }

  /// Sends the conversation's current metadata (bumping its version) to every
  /// other relay that homes one of its members and to `alsoTo`, with the
  /// device lists of this relay's members.
  static func replicateConversation(
    _ db: PostgresConnection, id: String, alsoTo: Set<String> = [], region: LocalRegion?
  ) async throws {
    let rows = try await db.rows(
      "UPDATE conversations SET version = version + 1 WHERE id = \(id) RETURNING home_relay, created_by, version")
    guard let row = rows.first else { return }
    let (home, createdBy, version) = try row.decode((String, String, Int64).self)
    let members = try await db.rows("SELECT user_address FROM members WHERE conversation_id = \(id)").map {
      try UserAddress(parsing: try $0.decode(String.self))
    }
    let replication = ConversationReplication(
      home: home, members: members, alsoTo: alsoTo, relays: try await Self.relays(region, for: members, db))
    guard !replication.peers.isEmpty, let viewer = members.first else { return }
    let record = try await Self.membership(db, id: id, viewer: viewer).record
    let event = Relay_V1_FederationEvent.conversation(record, createdBy: createdBy, version: version)
    for peer in replication.peers { try await Self.enqueue(event, for: peer, db) }
    for member in replication.announced { try await Self.announceDevices(of: member, to: replication.peers, db) }
  }

  /// Sends a local user's device list to every peer whose users share a conversation with it.
  static func announceDevices(of user: UserAddress, region: LocalRegion?, _ db: PostgresConnection) async throws {
    let coMembers = try await db.rows(
      """
      SELECT DISTINCT o.user_address FROM members m JOIN members o ON o.conversation_id = m.conversation_id
      WHERE m.user_address = \(user.description)
      """
    ).compactMap { try? UserAddress(parsing: try $0.decode(String.self)) }
    let relays = try await Self.relays(region, for: coMembers + [user], db)
    try await Self.announceDevices(
      of: user, to: ConversationReplication.deviceListPeers(of: user, coMembers: coMembers, relays: relays), db)
  }

  static func announceDevices(of user: UserAddress, to peers: [String], _ db: PostgresConnection) async throws {
    guard !peers.isEmpty else { return }
    let event = Relay_V1_FederationEvent.deviceList(
      of: user,
      try await db.rows("SELECT * FROM devices WHERE user_address = \(user.description) ORDER BY device_id").map {
        try Self.deviceRecord($0).info
      })
    for peer in peers { try await Self.enqueue(event, for: peer, db) }
  }
}

extension PostgresStore: FederationStore {
  public func outbox(for peer: String, after id: UInt64, limit: Int) async throws -> [Relay_V1_OutboxEvent] {
    let after = try Int64(wire: id, field: "outbox id")
    return try await self.read("reading an outbox") { db in
      try await db.rows(
        "SELECT id, event FROM outbox WHERE peer = \(peer) AND id > \(after) ORDER BY id LIMIT \(limit)"
      ).map { row in
        let (id, bytes) = try row.decode((Int64, ByteBuffer).self)
        var entry = Relay_V1_OutboxEvent()
        entry.id = UInt64(id)
        entry.event = try Relay_V1_FederationEvent(serializedBytes: Array(buffer: bytes))
        return entry
      }
    }
  }

  public func deleteOutbox(for peer: String, ids: [UInt64]) async throws {
    let stored = try ids.map { (id) throws(RelayError) in try Int64(wire: id, field: "outbox id") }
    try await self.transaction("pruning an outbox") { db in
      try await db.run("DELETE FROM outbox WHERE peer = \(peer) AND id = ANY(\(stored)::bigint[])")
    }
  }

  public func claimOutbox(for peer: String, node: String, leaseMs: Int64) async throws -> Bool {
    try await self.transaction("claiming an outbox") { db in
      let now = HybridLogicalClock.systemMilliseconds()
      return try await !db.rows(
        """
        INSERT INTO outbox_senders (peer, node, lease_until_ms) VALUES (\(peer), \(node), \(now + leaseMs))
        ON CONFLICT (peer) DO UPDATE SET node = excluded.node, lease_until_ms = excluded.lease_until_ms
        WHERE outbox_senders.node = excluded.node OR outbox_senders.lease_until_ms < \(now)
        RETURNING node
        """
      ).isEmpty
    }
  }

  public func outboxBacklog(for peer: String) async throws -> OutboxBacklog {
    try await self.read("counting an outbox") { db in
      let row = try await db.rows("SELECT COUNT(*), MIN(queued_at_ms) FROM outbox WHERE peer = \(peer)")[0]
      let (depth, oldest) = try row.decode((Int64, Int64?).self)
      return OutboxBacklog(depth: Int(depth), oldestQueuedAtMs: oldest)
    }
  }
}
