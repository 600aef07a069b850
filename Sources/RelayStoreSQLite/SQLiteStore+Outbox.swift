internal import Foundation
internal import GRDB
public import RelayCore
internal import SwiftProtobuf
public import Wire

extension SQLiteStore {
  /// Appends an event to `peer`'s outbox, in the caller's transaction.
  static func enqueue(_ event: Relay_V1_FederationEvent, for peer: String, _ db: Database) throws {
    guard
      let id = try db.cachedStatement(
        sql: """
          INSERT INTO outbox_heads (peer, last_id) VALUES (?, 1)
          ON CONFLICT (peer) DO UPDATE SET last_id = last_id + 1 RETURNING last_id
          """
      ).fetchOneRow(arguments: [peer])?[0] as Int64?
    else { throw RelayError(.internal, "no outbox id") }
    try db.cachedStatement(sql: "INSERT INTO outbox (peer, id, event, queued_at_ms) VALUES (?, ?, ?, ?)")
      .execute(arguments: [peer, id, try event.serialized(), HybridLogicalClock.systemMilliseconds()])
  }

  /// Sends the conversation's current metadata (bumping its version) to every
  /// other relay that homes one of its members, and to `alsoTo` (relays whose
  /// users just left).
  static func replicateConversation(
    _ db: Database, id: String, alsoTo: Set<String> = [], region: LocalRegion?
  ) throws {
    guard
      let row = try Row.fetchOne(
        db,
        sql: "UPDATE conversations SET version = version + 1 WHERE id = ? RETURNING home_relay, created_by, version",
        arguments: [id])
    else { return }
    let members = try String.fetchAll(
      db, sql: "SELECT user_address FROM members WHERE conversation_id = ?", arguments: [id]
    ).map { try UserAddress(parsing: $0) }
    let replication = ConversationReplication(
      home: row[0], members: members, alsoTo: alsoTo, relays: try Self.relays(region, for: members, db))
    guard !replication.peers.isEmpty, let viewer = members.first else { return }
    let record = try Self.membership(db, id: id, viewer: viewer).record
    let event = Relay_V1_FederationEvent.conversation(record, createdBy: row[1], version: row[2])
    for peer in replication.peers { try Self.enqueue(event, for: peer, db) }
    for member in replication.announced { try Self.announceDevices(of: member, to: replication.peers, db) }
  }
}

extension SQLiteStore: FederationStore {
  public func outbox(for peer: String, after id: UInt64, limit: Int) async throws -> [Relay_V1_OutboxEvent] {
    try await self.read("reading an outbox") { db in
      try Row.fetchAll(
        db, sql: "SELECT id, event FROM outbox WHERE peer = ? AND id > ? ORDER BY id LIMIT ?",
        arguments: [peer, try Int64(wire: id, field: "outbox id"), limit]
      ).map { row in
        var entry = Relay_V1_OutboxEvent()
        entry.id = UInt64(row[0] as Int64)
        entry.event = try Relay_V1_FederationEvent(serializedBytes: row[1] as Data)
        return entry
      }
    }
  }

  public func deleteOutbox(for peer: String, ids: [UInt64]) async throws {
    try await self.write("pruning an outbox") { db in
      let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE peer = ? AND id = ?")
      for id in ids { try delete.execute(arguments: [peer, try Int64(wire: id, field: "outbox id")]) }
    }
  }

  /// One process holds the file: it always streams the outboxes.
  public func claimOutbox(for peer: String, node: String, leaseMs: Int64) async throws -> Bool { true }

  public func outboxBacklog(for peer: String) async throws -> OutboxBacklog {
    try await self.read("counting an outbox") { db in
      let row = try Row.fetchOne(
        db, sql: "SELECT COUNT(*), MIN(queued_at_ms) FROM outbox WHERE peer = ?", arguments: [peer])
      return OutboxBacklog(depth: row?[0] ?? 0, oldestQueuedAtMs: row?[1])
    }
  }
}
