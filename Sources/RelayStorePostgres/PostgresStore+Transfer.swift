internal import Foundation
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// What a move hands over (docs/regions.md, "Moving a user"): built by the
/// old home in its hand-off transaction.
extension PostgresStore {
  static func transfer(
    of move: UserMove, claimedHLC: UInt64, region: LocalRegion, _ db: PostgresConnection
  ) async throws -> (transfer: Relay_V1_UserTransfer, recent: [Relay_V1_ReplicatedMessage]) {
    let u = move.user.description
    var transfer = Relay_V1_UserTransfer()
    transfer.claim =
      HomeClaim(
        user: move.user, region: move.target, claimedHLC: claimedHLC, version: move.version, movedFrom: move.source
      )
      .event.homeClaim
    transfer.devices = try await Self.transferredDevices(of: move.user, db)
    for row in try await db.rows(
      """
      SELECT c.id, c.created_by, c.version, c.last_origin_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_address = \(u) ORDER BY c.id
      """)
    {
      let (id, createdBy, version, lastOriginSeq) = try row.decode((String, String, Int64, Int64).self)
      let record = try await Self.membership(db, id: id, viewer: move.user).record
      transfer.conversations.append(
        Relay_V1_FederationEvent.conversation(record, createdBy: createdBy, version: version).conversation)
      // Covers: how far this region held each origin, per conversation (its own: every one it issued).
      if lastOriginSeq > 0 { transfer.covers.append(.init(id, region.relay, lastOriginSeq)) }
    }
    // The entries past each device's acknowledged cursor, and the messages they name.
    var named = [(conversation: String, seq: Int64)]()
    for row in try await db.rows(
      """
      SELECT mb.device_id, mb.cursor, mb.kind, mb.conversation_id, mb.seq, mb.receipt_status, mb.receipt_by,
             mb.receipt_at_ms, m.origin_relay, m.origin_seq
      FROM mailbox mb
      JOIN devices d ON d.user_address = mb.user_address AND d.device_id = mb.device_id
      JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
      WHERE mb.user_address = \(u) AND mb.cursor > d.acked_cursor ORDER BY mb.device_id, mb.cursor
      """)
    {
      let (device, cursor, kind, conversation, seq, status, by, at, origin, originSeq) = try row.decode(
        (String, Int64, Int16, String, Int64, Int16, String, Int64, String, Int64).self)
      transfer.entries.append(
        Relay_V1_TransferredEntry(
          device: device, cursor: cursor, kind: Int(kind), conversation: conversation, origin: origin,
          originSeq: originSeq, receiptStatus: Int(status), receiptBy: by, receiptAtMs: at))
      named.append((conversation, seq))
    }
    for row in try await db.rows(
      """
      SELECT v.conversation_id, v.origin_relay, v.contiguous_seq FROM members m
      JOIN version_vectors v ON v.conversation_id = m.conversation_id WHERE m.user_address = \(u)
      """)
    {
      let (conversation, origin, seq) = try row.decode((String, String, Int64).self)
      transfer.covers.append(.init(conversation, origin, seq))
    }
    // The messages held past a cover go with the transfer.
    named += try await db.rows(
      """
      SELECT m.conversation_id, m.seq FROM members mm JOIN messages m ON m.conversation_id = mm.conversation_id
      LEFT JOIN version_vectors v ON v.conversation_id = m.conversation_id AND v.origin_relay = m.origin_relay
      WHERE mm.user_address = \(u) AND m.origin_relay <> \(region.relay) AND m.origin_seq > COALESCE(v.contiguous_seq, 0)
      """
    ).map { try $0.decode((String, Int64).self) }
    var seen = Set<String>()
    for (conversation, seq) in named where seen.insert("\(conversation) \(seq)").inserted {
      transfer.messages.append(try await Self.transferredMessage(conversation, seq, for: u, db))
    }
    // The user's recent messages, newest first, as many as fit: receipts for them can still reach the new home.
    var recent = [Relay_V1_ReplicatedMessage]()
    for row in try await db.rows(
      """
      SELECT m.conversation_id, m.seq FROM members mm JOIN messages m ON m.conversation_id = mm.conversation_id
      WHERE mm.user_address = \(u) AND m.sender_user = \(u) ORDER BY m.hlc DESC LIMIT 1000
      """)
    {
      let (conversation, seq) = try row.decode((String, Int64).self)
      guard seen.insert("\(conversation) \(seq)").inserted else { continue }
      recent.append(try await Self.transferredMessage(conversation, seq, for: u, db))
    }
    return (transfer, recent)
  }

  private static func transferredDevices(
    of user: UserAddress, _ db: PostgresConnection
  ) async throws -> [Relay_V1_TransferredDevice] {
    let u = user.description
    var devices = [String: Relay_V1_TransferredDevice]()
    var order = [String]()
    for row in try await db.rows(
      """
      SELECT device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement, signed_prekey_id,
        signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort, kem_last_resort_sig, mailbox_head,
        acked_cursor
      FROM devices WHERE user_address = \(u) ORDER BY device_id
      """)
    {
      let cells = row.makeRandomAccess()
      var device = Relay_V1_TransferredDevice()
      device.deviceID = try cells[0].decode(String.self)
      device.fingerprint = try cells[1].decode(Data.self)
      device.registeredAtMs = try cells[2].decode(Int64.self)
      device.identity.signingKey = try cells[3].decode(Data.self)
      device.identity.agreementKey = try cells[4].decode(Data.self)
      device.signedPrekey.keyID = UInt32(truncatingIfNeeded: try cells[5].decode(Int64.self))
      device.signedPrekey.publicKey = try cells[6].decode(Data.self)
      device.signedPrekey.signature = try cells[7].decode(Data.self)
      device.kemLastResort.keyID = UInt32(truncatingIfNeeded: try cells[8].decode(Int64.self))
      device.kemLastResort.publicKey = try cells[9].decode(Data.self)
      device.kemLastResort.signature = try cells[10].decode(Data.self)
      device.mailboxHead = UInt64(try cells[11].decode(Int64.self))
      device.ackedCursor = UInt64(try cells[12].decode(Int64.self))
      devices[device.deviceID] = device
      order.append(device.deviceID)
    }
    for row in try await db.rows(
      "SELECT device_id, kind, key_id, public_key, signature FROM one_time_prekeys WHERE user_address = \(u)")
    {
      let (device, kind, id, key, signature) = try row.decode((String, Int16, Int64, Data, Data?).self)
      devices[device]?.addPrekey(kind: Int(kind), id: id, publicKey: key, signature: signature)
    }
    for row in try await db.rows(
      "SELECT device_id, kind, token, secret FROM push_endpoints WHERE user_address = \(u)")
    {
      let (device, kind, token, secret) = try row.decode((String, Int16, String, Data).self)
      devices[device]?.push.kind = Relay_V1_PushKind(rawValue: Int(kind)) ?? .unspecified
      devices[device]?.push.token = token
      devices[device]?.push.secret = secret
    }
    return order.compactMap { devices[$0] }
  }

  /// A message held here, with only `user`'s copies.
  private static func transferredMessage(
    _ conversation: String, _ seq: Int64, for user: String, _ db: PostgresConnection
  ) async throws -> Relay_V1_ReplicatedMessage {
    guard
      let row = try await db.rows(
        """
        SELECT message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms
        FROM messages WHERE conversation_id = \(conversation) AND seq = \(seq)
        """
      ).first
    else { throw RelayError(.internal, "a mailbox entry names a missing message") }
    let (messageID, senderUser, senderDevice, hlc, origin, originSeq, sentAt) = try row.decode(
      (String, String, String, Int64, String, Int64, Int64).self)
    var message = Relay_V1_ReplicatedMessage()
    message.conversationID = conversation
    message.messageID = messageID
    message.sender = "\(senderUser)/\(senderDevice)"
    message.hlc = UInt64(bitPattern: hlc)
    message.originRelay = origin
    message.originSeq = UInt64(originSeq)
    message.sentAtMs = sentAt
    message.copies = try await db.rows(
      """
      SELECT recipient_user, recipient_device, ciphertext FROM copies
      WHERE conversation_id = \(conversation) AND seq = \(seq) AND recipient_user = \(user) ORDER BY recipient_device
      """
    ).map { row in
      let (user, device, ciphertext) = try row.decode((String, String, Data).self)
      var copy = Relay_V1_SealedCopy()
      copy.device = "\(user)/\(device)"
      copy.ciphertext = ciphertext
      return copy
    }
    return message
  }
}
