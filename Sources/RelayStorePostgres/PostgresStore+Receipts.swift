internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  public func markRead(
    device: DeviceAddress, conversationID: String, upToSeq: UInt64, nowMs: Int64
  ) async throws -> [Doorbell] {
    let readTo = try Int64(wire: upToSeq, field: "read up_to_seq")
    return try await self.transaction("marking read") { db in
      let user = device.user.description
      let (conversation, _) = try await Self.membership(db, id: conversationID, viewer: device.user)
      try ReceiptRules.checkRead(upToSeq, lastSeq: conversation.lastSeq)
      // The read mark only moves forward, under its row lock.
      let marks = try await db.rows(
        """
        SELECT last_read_seq FROM members WHERE conversation_id = \(conversationID) AND user_address = \(user)
        FOR UPDATE
        """)
      guard let mark = marks.first else { throw RelayError(.permissionDenied, "not a member of this conversation") }
      let lastRead = try mark.decode(Int64.self)
      guard ReceiptRules.readAdvances(readTo, lastRead: lastRead) else { return [] }
      try await db.run(
        """
        UPDATE members SET last_read_seq = \(readTo)
        WHERE conversation_id = \(conversationID) AND user_address = \(user)
        """)
      let read = try await db.rows(
        """
        SELECT seq, origin_seq, message_id, sender_user, sender_device FROM messages
        WHERE conversation_id = \(conversationID) AND seq > \(lastRead) AND seq <= \(readTo)
          AND sender_user <> \(user)
        ORDER BY seq
        """
      ).map { row in
        let (seq, originSeq, messageID, senderUser, senderDevice) = try row.decode(
          (Int64, Int64, String, String, String).self)
        return CoveredMessage(
          conversationID: conversationID, seq: seq, originSeq: originSeq, messageID: messageID, senderUser: senderUser,
          sender: "\(senderUser)/\(senderDevice)")
      }.newestPerSender()
      let senders = try await Self.devices(db, of: Set(read.map(\.senderUser)))
      try await Self.lockDevices(db, senders.values.flatMap { $0 })
      let entries = try await Self.receipts(
        db, covering: read, status: .read, by: device, atMs: nowMs, senders: senders, region: self.region)
      return try await Self.appendToMailboxes(db, entries)
    }
  }

  /// One receipt per covered message (the newest of its sender, see
  /// ``CoveredMessage``): mailbox entries for every device of a sender
  /// homed here, an outbox event for a sender homed on another relay.
  static func receipts(
    _ db: PostgresConnection, covering messages: [CoveredMessage], status: Relay_V1_ReceiptStatus,
    by device: DeviceAddress, atMs: Int64, senders: [String: [DeviceAddress]], region: LocalRegion?
  ) async throws -> [(device: DeviceAddress, entry: Relay_V1_MailboxEntry)] {
    var entries = [(device: DeviceAddress, entry: Relay_V1_MailboxEntry)]()
    for message in messages {
      if try await Self.forwardReceipt(
        db, conversationID: message.conversationID, messageID: message.messageID, sender: message.sender,
        status: status, by: device, atMs: atMs, region: region)
      {
        continue
      }
      let entry = Relay_V1_MailboxEntry.receipt(
        conversationID: message.conversationID, seq: UInt64(message.seq), messageID: message.messageID,
        status: status, by: device, atMs: atMs)
      for senderDevice in senders[message.senderUser] ?? [] { entries.append((senderDevice, entry)) }
    }
    return entries
  }

  /// A receipt for a message whose sender is homed on another relay (not
  /// `by`'s, which is this one) goes to that relay's outbox; true if it did.
  static func forwardReceipt(
    _ db: PostgresConnection, conversationID: String, messageID: String, sender: String,
    status: Relay_V1_ReceiptStatus, by device: DeviceAddress, atMs: Int64, region: LocalRegion?
  ) async throws -> Bool {
    let sender = try DeviceAddress(parsing: sender)
    let relays = try await Self.relays(region, for: [sender.user, device.user], db)
    let home = relays.relay(of: sender.user)
    guard home != relays.relay(of: device.user) else { return false }
    let event = Relay_V1_FederationEvent.receipt(
      conversationID: conversationID, messageID: messageID, sender: sender, status: status, by: device, atMs: atMs)
    try await Self.enqueue(event, for: home, db)
    return true
  }

  /// Every device of each user.
  static func devices(
    _ db: PostgresConnection, of users: Set<String>
  ) async throws -> [String: [DeviceAddress]] {
    guard !users.isEmpty else { return [:] }
    var devices = [String: [DeviceAddress]]()
    for row in try await db.rows(
      """
      SELECT user_address, device_id FROM devices WHERE user_address = ANY(\(Array(users))::text[])
      ORDER BY user_address, device_id
      """)
    {
      let (user, device) = try row.decode((String, String).self)
      devices[user, default: []].append(try DeviceAddress.stored(user: user, device: device))
    }
    return devices
  }
}
