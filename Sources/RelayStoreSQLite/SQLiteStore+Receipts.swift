internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore {
  public func acknowledge(device: DeviceAddress, upTo cursor: UInt64, nowMs: Int64) async throws -> [Doorbell] {
    let upTo = try Int64(wire: cursor, field: "ack cursor")
    return try await self.write("acknowledging") { db in
      let user = device.user.description
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT mailbox_head, acked_cursor FROM devices WHERE user_address = ? AND device_id = ?",
          arguments: [user, device.deviceID])
      else { throw RelayError(.notFound, "unknown device") }
      let acked = row[1] as Int64
      try ReceiptRules.checkAck(cursor, head: UInt64(row[0] as Int64), acked: UInt64(acked))
      let delivered = try Row.fetchAll(
        db,
        sql: """
          SELECT mb.conversation_id, mb.seq, m.origin_seq, m.message_id, m.sender_user, m.sender_device FROM mailbox mb
          JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
          WHERE mb.user_address = ? AND mb.device_id = ? AND mb.cursor > ? AND mb.cursor <= ? AND mb.kind = 0
            AND m.sender_user != mb.user_address
          ORDER BY mb.cursor
          """,
        arguments: [user, device.deviceID, acked, upTo]
      ).lazy.map {
        CoveredMessage(
          conversationID: $0[0], seq: $0[1], originSeq: $0[2], messageID: $0[3], senderUser: $0[4],
          sender: "\($0[4] as String)/\($0[5] as String)")
      }
      var doorbells = [Doorbell]()
      var batch = SQLiteWriteBatch(region: self.region)
      for message in delivered.newestPerSender() {
        doorbells += try Self.writeReceipt(
          db, covering: message, status: .delivered, by: device, nowMs: nowMs, batch: &batch)
      }
      try batch.flush(db)
      try db.execute(
        sql: "DELETE FROM mailbox WHERE user_address = ? AND device_id = ? AND cursor <= ?",
        arguments: [user, device.deviceID, upTo])
      try db.execute(
        sql: "UPDATE devices SET acked_cursor = ? WHERE user_address = ? AND device_id = ?",
        arguments: [upTo, user, device.deviceID])
      return doorbells
    }
  }

  public func markRead(
    device: DeviceAddress, conversationID: String, upToSeq: UInt64, nowMs: Int64
  ) async throws -> [Doorbell] {
    let readTo = try Int64(wire: upToSeq, field: "read up_to_seq")
    return try await self.write("marking read") { db in
      let (conversation, lastRead) = try Self.membership(db, id: conversationID, viewer: device.user)
      try ReceiptRules.checkRead(upToSeq, lastSeq: conversation.lastSeq)
      let user = device.user.description
      guard ReceiptRules.readAdvances(readTo, lastRead: lastRead) else { return [] }
      try db.execute(
        sql: "UPDATE members SET last_read_seq = ? WHERE conversation_id = ? AND user_address = ?",
        arguments: [readTo, conversationID, user])
      let read = try Row.fetchAll(
        db,
        sql: """
          SELECT seq, origin_seq, message_id, sender_user, sender_device FROM messages
          WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender_user != ? ORDER BY seq
          """,
        arguments: [conversationID, lastRead, readTo, user]
      ).lazy.map {
        CoveredMessage(
          conversationID: conversationID, seq: $0[0], originSeq: $0[1], messageID: $0[2], senderUser: $0[3],
          sender: "\($0[3] as String)/\($0[4] as String)")
      }
      var doorbells = [Doorbell]()
      var batch = SQLiteWriteBatch(region: self.region)
      for message in read.newestPerSender() {
        doorbells += try Self.writeReceipt(
          db, covering: message, status: .read, by: device, nowMs: nowMs, batch: &batch)
      }
      try batch.flush(db)
      return doorbells
    }
  }

  /// One receipt entry, for `message` and every message its sender sent
  /// before it in the conversation, in the mailbox of every device of the
  /// sender; for a sender homed on another relay (not `by`'s, which is this
  /// one), one receipt event in that relay's outbox instead.
  static func writeReceipt(
    _ db: Database, covering message: CoveredMessage, status: Relay_V1_ReceiptStatus, by device: DeviceAddress,
    nowMs: Int64, batch: inout SQLiteWriteBatch, senderIsLocal: Bool = false
  ) throws -> [Doorbell] {
    let sender = try DeviceAddress(parsing: message.sender)
    let relays = try Self.relays(batch.region, for: [sender.user, device.user], db)
    let home = relays.relay(of: sender.user)
    if !senderIsLocal, home != relays.relay(of: device.user) {
      let event = Relay_V1_FederationEvent.receipt(
        conversationID: message.conversationID, messageID: message.messageID, sender: sender, status: status,
        by: device, atMs: nowMs)
      try Self.enqueue(event, for: home, db)
      return []
    }
    let entry = Relay_V1_MailboxEntry.receipt(
      conversationID: message.conversationID, seq: UInt64(message.seq), messageID: message.messageID,
      status: status, by: device, atMs: nowMs)
    return try batch.devices(of: message.senderUser, db).map { try batch.append(entry, to: $0, db) }
  }
}
