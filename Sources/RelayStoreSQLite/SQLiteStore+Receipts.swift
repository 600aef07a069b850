internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore {
  public func acknowledge(_ acks: [AckCommand]) async throws -> [Result<[Doorbell], RelayError>] {
    try await self.write("acknowledging") { db in
      var batch = SQLiteWriteBatch(region: self.region)
      var results = [Result<[Doorbell], RelayError>]()
      results.reserveCapacity(acks.count)
      for ack in acks { results.append(try Self.acknowledge(ack, db, batch: &batch)) }
      try batch.flush(db)
      return results
    }
  }

  /// One ack of a batch: refused (written nothing) or applied.
  static func acknowledge(
    _ ack: AckCommand, _ db: Database, batch: inout SQLiteWriteBatch
  ) throws -> Result<[Doorbell], RelayError> {
    let acked: (from: Int64, upTo: Int64)
    do {
      acked = try Self.check(ack, db)
    } catch let error as RelayError {
      return .failure(error)
    }
    // Outside the catch: an error while writing fails the batch, never one ack.
    return .success(try Self.apply(ack, from: acked.from, upTo: acked.upTo, db, batch: &batch))
  }

  /// The device's acked cursor, and the ack's as stored, if the ack may apply.
  private static func check(_ ack: AckCommand, _ db: Database) throws -> (from: Int64, upTo: Int64) {
    let upTo = try Int64(wire: ack.cursor, field: "ack cursor")
    guard
      let row = try db.cachedStatement(
        sql: "SELECT mailbox_head, acked_cursor FROM devices WHERE user_address = ? AND device_id = ?"
      ).fetchOneRow(arguments: [ack.device.user.description, ack.device.deviceID])
    else { throw RelayError(.notFound, "unknown device") }
    let acked = row[1] as Int64
    try ReceiptRules.checkAck(ack.cursor, head: UInt64(row[0] as Int64), acked: UInt64(acked))
    return (acked, upTo)
  }

  /// Writes a checked ack: `delivered` receipts for what it covers, the pruned
  /// mailbox, the device's new acked cursor.
  private static func apply(
    _ ack: AckCommand, from acked: Int64, upTo: Int64, _ db: Database, batch: inout SQLiteWriteBatch
  ) throws -> [Doorbell] {
    let device = ack.device
    let user = device.user.description
    let delivered = try db.cachedStatement(
      sql: """
        SELECT mb.conversation_id, mb.seq, m.origin_seq, m.message_id, m.sender_user, m.sender_device FROM mailbox mb
        JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
        WHERE mb.user_address = ? AND mb.device_id = ? AND mb.cursor > ? AND mb.cursor <= ? AND mb.kind = 0
          AND m.sender_user != mb.user_address
        ORDER BY mb.cursor
        """
    ).fetchAllRows(arguments: [user, device.deviceID, acked, upTo]).lazy.map {
      CoveredMessage(
        conversationID: $0[0], seq: $0[1], originSeq: $0[2], messageID: $0[3], senderUser: $0[4],
        sender: "\($0[4] as String)/\($0[5] as String)")
    }
    var doorbells = [Doorbell]()
    for message in delivered.newestPerSender() {
      doorbells += try Self.writeReceipt(
        db, covering: message, status: .delivered, by: device, nowMs: ack.atMs, batch: &batch)
    }
    try db.cachedStatement(sql: "DELETE FROM mailbox WHERE user_address = ? AND device_id = ? AND cursor <= ?")
      .execute(arguments: [user, device.deviceID, upTo])
    try db.cachedStatement(sql: "UPDATE devices SET acked_cursor = ? WHERE user_address = ? AND device_id = ?")
      .execute(arguments: [upTo, user, device.deviceID])
    return doorbells
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
