internal import Foundation
internal import GRDB
internal import RelayCore
public import Wire

extension SQLiteStore {
  /// Appends `entry` (an envelope or a receipt, its cursor unset) to a
  /// device's mailbox, and returns the doorbell for it: the new cursor, and
  /// the entry with that cursor for a live session to write as it is.
  static func appendToMailbox(_ db: Database, device: DeviceAddress, entry: Relay_V1_MailboxEntry) throws -> Doorbell {
    guard
      let head = try db.cachedStatement(
        sql:
          "UPDATE devices SET mailbox_head = mailbox_head + 1 WHERE user_address = ? AND device_id = ? RETURNING mailbox_head"
      ).fetchOneRow(arguments: [device.user.description, device.deviceID])?[0] as Int64?
    else { throw RelayError(.notFound, "unknown device") }
    return try Self.insertMailboxEntry(db, device: device, cursor: head, entry: entry)
  }

  /// Writes `entry` at `cursor` in a device's mailbox (whose head the caller
  /// keeps), and returns the doorbell for it.
  static func insertMailboxEntry(
    _ db: Database, device: DeviceAddress, cursor head: Int64, entry: Relay_V1_MailboxEntry
  ) throws -> Doorbell {
    let user = device.user.description
    let insert = try db.cachedStatement(
      sql: """
        INSERT INTO mailbox (user_address, device_id, cursor, kind, conversation_id, seq, receipt_status, receipt_by, receipt_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    let cursor = UInt64(head)
    var entry = entry
    switch entry.entry {
    case .envelope(var envelope):
      try insert.execute(arguments: [user, device.deviceID, head, 0, envelope.conversationID, envelope.seq, 0, "", 0])
      envelope.cursor = cursor
      entry.envelope = envelope
    case .receipt(var receipt):
      try insert.execute(arguments: [
        user, device.deviceID, head, 1, receipt.conversationID, receipt.seq, receipt.status.rawValue, receipt.by,
        receipt.atMs,
      ])
      receipt.cursor = cursor
      entry.receipt = receipt
    case nil:
      throw RelayError(.internal, "an empty mailbox entry")
    }
    return Doorbell(device: device, cursor: cursor, entry: entry)
  }

  public func mailbox(
    of device: DeviceAddress, after cursor: UInt64, limit: Int
  ) async throws -> [Relay_V1_MailboxEntry] {
    let after = try Int64(wire: cursor, field: "mailbox cursor")
    return try await self.read("reading a mailbox") { db in
      let rows = try db.cachedStatement(
        sql: """
          SELECT mb.cursor, mb.kind, mb.conversation_id, mb.seq, mb.receipt_status, mb.receipt_by, mb.receipt_at_ms,
                 m.message_id, m.sender_user, m.sender_device, m.hlc, m.origin_relay, m.origin_seq, m.sent_at_ms,
                 c.ciphertext
          FROM mailbox mb
          JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
          LEFT JOIN copies c ON mb.kind = 0 AND c.conversation_id = mb.conversation_id AND c.seq = mb.seq
            AND c.recipient_user = mb.user_address AND c.recipient_device = mb.device_id
          WHERE mb.user_address = ? AND mb.device_id = ? AND mb.cursor > ?
          ORDER BY mb.cursor LIMIT ?
          """
      ).fetchAllRows(arguments: [device.user.description, device.deviceID, after, limit])
      return rows.map { row in
        var entry = Relay_V1_MailboxEntry()
        if row[1] as Int64 == 0 {
          var envelope = Self.envelope(row, offset: 7)
          envelope.cursor = UInt64(row[0] as Int64)
          envelope.conversationID = row[2]
          envelope.seq = UInt64(row[3] as Int64)
          entry.envelope = envelope
        } else {
          var receipt = Relay_V1_Receipt()
          receipt.cursor = UInt64(row[0] as Int64)
          receipt.conversationID = row[2]
          receipt.seq = UInt64(row[3] as Int64)
          receipt.status = Relay_V1_ReceiptStatus(rawValue: row[4]) ?? .unspecified
          receipt.by = row[5]
          receipt.atMs = row[6]
          receipt.messageID = row[7]
          entry.receipt = receipt
        }
        return entry
      }
    }
  }

  /// Reads message_id, sender_user, sender_device, hlc, origin_relay, origin_seq,
  /// sent_at_ms, ciphertext from consecutive columns starting at `offset`.
  static func envelope(_ row: Row, offset i: Int) -> Relay_V1_Envelope {
    var envelope = Relay_V1_Envelope()
    envelope.messageID = row[i]
    envelope.sender = "\(row[i + 1] as String)/\(row[i + 2] as String)"
    envelope.hlc = UInt64(bitPattern: row[i + 3] as Int64)
    envelope.originRelay = row[i + 4]
    envelope.originSeq = UInt64(row[i + 5] as Int64)
    envelope.sentAtMs = row[i + 6]
    envelope.ciphertext = (row[i + 7] as Data?) ?? Data()
    return envelope
  }

  public func mailboxDepth() async throws -> Int64 {
    try await self.read("measuring mailboxes") { db in
      try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(mailbox_head - acked_cursor), 0) FROM devices") ?? 0
    }
  }

  public func ackedCursor(of device: DeviceAddress) async throws -> UInt64 {
    try await self.read("reading a cursor") { db in
      let acked = try Int64.fetchOne(
        db, sql: "SELECT acked_cursor FROM devices WHERE user_address = ? AND device_id = ?",
        arguments: [device.user.description, device.deviceID])
      guard let acked else { throw RelayError(.notFound, "unknown device") }
      return UInt64(acked)
    }
  }
}
