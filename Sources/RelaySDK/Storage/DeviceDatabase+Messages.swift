internal import Foundation
internal import GRDB
internal import SwiftProtobuf
internal import Wire

extension DeviceDatabase {
  /// Stores `message` unless its id is already stored; whether it was new.
  static func insert(_ message: StoredMessage, _ db: Database) throws -> Bool {
    try db.execute(
      sql: """
        INSERT INTO messages (
          message_id, conversation_id, sender, text, sent_at_ms, seq, outgoing, status, stored_at,
          hlc, origin_relay, origin_seq, attachment
        )
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING
        """,
      arguments: [
        message.messageID, message.conversationID, message.sender, message.text, message.sentAtMs,
        Int64(clamping: message.seq), message.outgoing, message.status.rawValue,
        Int64(Date().timeIntervalSince1970 * 1000),
        Int64(bitPattern: message.hlc), message.originRelay, Int64(clamping: message.originSeq),
        try message.attachment.map { try $0.pointer.serializedBytes() as Data },
      ])
    return db.changesCount > 0
  }

  func store(_ message: StoredMessage) throws(ClientError) {
    _ = try self.write("a sent message") { db in try Self.insert(message, db) }
  }

  /// Raises the status of an outgoing message and of every outgoing message
  /// before it in its conversation (receipts are cumulative); never lowers
  /// one. Whether any changed.
  static func raise(
    _ messageID: String, upTo seq: UInt64, in conversationID: String, to status: MessageStatus, _ db: Database
  ) throws -> Bool {
    try db.execute(
      sql: """
        UPDATE messages SET status = ?
        WHERE outgoing = 1 AND status < ? AND (message_id = ? OR (conversation_id = ? AND seq <= ?))
        """,
      arguments: [status.rawValue, status.rawValue, messageID, conversationID, Int64(clamping: seq)])
    return db.changesCount > 0
  }

  /// Sequence numbers and cursors come from the relay: one past what SQLite
  /// holds is clamped (it still orders last), never trapped on.
  static func setCursor(_ cursor: UInt64, _ db: Database) throws {
    try db.execute(sql: "UPDATE device SET cursor = max(cursor, ?)", arguments: [Int64(clamping: cursor)])
  }

  /// A conversation's messages in sequence order (the last `limit`).
  func messages(in conversationID: String, limit: Int = 50) throws(ClientError) -> [StoredMessage] {
    try self.read("messages") { db in
      try Row.fetchAll(
        db,
        sql: "SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
        arguments: [conversationID, limit]
      ).map(Self.message)
    }
  }

  /// Every message of a conversation this device holds, in display order:
  /// the relay's order (hybrid logical clock, origin relay, origin sequence).
  func history(of conversationID: String) throws(ClientError) -> [StoredMessage] {
    try self.read("history") { db in
      try Row.fetchAll(
        db,
        sql: "SELECT * FROM messages WHERE conversation_id = ? ORDER BY hlc, origin_relay, origin_seq, seq",
        arguments: [conversationID]
      ).map(Self.message)
    }
  }

  func message(_ messageID: String) throws(ClientError) -> StoredMessage? {
    try self.read("a message") { db in
      try Row.fetchOne(db, sql: "SELECT * FROM messages WHERE message_id = ?", arguments: [messageID]).map(Self.message)
    }
  }

  static func message(_ row: Row) -> StoredMessage {
    StoredMessage(
      messageID: row["message_id"], conversationID: row["conversation_id"], sender: row["sender"], text: row["text"],
      sentAtMs: row["sent_at_ms"], seq: UInt64(row["seq"] as Int64), outgoing: row["outgoing"],
      status: MessageStatus(rawValue: row["status"]) ?? .received, hlc: UInt64(bitPattern: row["hlc"] as Int64),
      originRelay: row["origin_relay"], originSeq: UInt64(clamping: row["origin_seq"] as Int64),
      attachment: (row["attachment"] as Data?).flatMap { try? Relay_V1_AttachmentPointer(serializedBytes: $0) }
        .map(AttachmentReference.init))
  }
}
