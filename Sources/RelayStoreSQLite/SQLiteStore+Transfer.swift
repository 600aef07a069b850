internal import Foundation
internal import GRDB
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// What a move hands over (docs/regions.md, "Moving a user"): built by the
/// old home in its hand-off transaction.
extension SQLiteStore {
  static func transfer(
    of move: UserMove, claimedHLC: UInt64, region: LocalRegion, _ db: Database
  ) throws -> (transfer: Relay_V1_UserTransfer, recent: [Relay_V1_ReplicatedMessage]) {
    let u = move.user.description
    var transfer = Relay_V1_UserTransfer()
    transfer.claim =
      HomeClaim(
        user: move.user, region: move.target, claimedHLC: claimedHLC, version: move.version, movedFrom: move.source
      )
      .event.homeClaim
    transfer.devices = try Self.transferredDevices(of: move.user, db)
    var conversations = [(id: String, lastOriginSeq: Int64)]()
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT c.id, c.created_by, c.version, c.last_origin_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_address = ? ORDER BY c.id
        """, arguments: [u])
    {
      let record = try Self.membership(db, id: row[0], viewer: move.user).record
      transfer.conversations.append(
        Relay_V1_FederationEvent.conversation(record, createdBy: row[1], version: row[2]).conversation)
      conversations.append((row[0], row[3]))
    }
    // The entries past each device's acknowledged cursor, and the messages they name.
    var named = [(conversation: String, seq: Int64)]()
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT mb.device_id, mb.cursor, mb.kind, mb.conversation_id, mb.seq, mb.receipt_status, mb.receipt_by,
               mb.receipt_at_ms, m.origin_relay, m.origin_seq
        FROM mailbox mb
        JOIN devices d ON d.user_address = mb.user_address AND d.device_id = mb.device_id
        JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
        WHERE mb.user_address = ? AND mb.cursor > d.acked_cursor ORDER BY mb.device_id, mb.cursor
        """, arguments: [u])
    {
      let entry = Relay_V1_TransferredEntry(
        device: row[0], cursor: row[1], kind: row[2], conversation: row[3], origin: row[8], originSeq: row[9],
        receiptStatus: row[5], receiptBy: row[6], receiptAtMs: row[7])
      transfer.entries.append(entry)
      named.append((row[3], row[4]))
    }
    // Covers: how far this region held each origin, per conversation; the
    // messages it held past a cover go with the transfer.
    for conversation in conversations where conversation.lastOriginSeq > 0 {
      transfer.covers.append(.init(conversation.id, region.relay, conversation.lastOriginSeq))
    }
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT v.conversation_id, v.origin_relay, v.contiguous_seq FROM members m
        JOIN version_vectors v ON v.conversation_id = m.conversation_id WHERE m.user_address = ?
        """, arguments: [u])
    {
      transfer.covers.append(.init(row[0], row[1], row[2]))
    }
    named += try Row.fetchAll(
      db,
      sql: """
        SELECT m.conversation_id, m.seq FROM members mm JOIN messages m ON m.conversation_id = mm.conversation_id
        LEFT JOIN version_vectors v ON v.conversation_id = m.conversation_id AND v.origin_relay = m.origin_relay
        WHERE mm.user_address = ? AND m.origin_relay != ? AND m.origin_seq > COALESCE(v.contiguous_seq, 0)
        """, arguments: [u, region.relay]
    ).map { ($0[0], $0[1]) }
    var seen = Set<String>()
    for (conversation, seq) in named where seen.insert("\(conversation) \(seq)").inserted {
      transfer.messages.append(try Self.transferredMessage(conversation, seq, for: u, db))
    }
    // The user's recent messages, newest first, as many as fit: receipts for them can still reach the new home.
    let recent = try Row.fetchAll(
      db,
      sql: """
        SELECT m.conversation_id, m.seq FROM members mm JOIN messages m ON m.conversation_id = mm.conversation_id
        WHERE mm.user_address = ? AND m.sender_user = ? ORDER BY m.hlc DESC LIMIT 1000
        """, arguments: [u, u]
    ).filter { seen.insert("\($0[0] as String) \($0[1] as Int64)").inserted }
    return (transfer, try recent.map { try Self.transferredMessage($0[0], $0[1], for: u, db) })
  }

  private static func transferredDevices(of user: UserAddress, _ db: Database) throws -> [Relay_V1_TransferredDevice] {
    let u = user.description
    var devices = [String: Relay_V1_TransferredDevice]()
    var order = [String]()
    for row in try Row.fetchAll(
      db, sql: "SELECT * FROM devices WHERE user_address = ? ORDER BY device_id", arguments: [u])
    {
      var device = Relay_V1_TransferredDevice()
      device.deviceID = row["device_id"]
      device.fingerprint = row["fingerprint"]
      device.registeredAtMs = row["registered_at_ms"]
      device.identity = Self.identityKey(row)
      device.signedPrekey.keyID = UInt32(truncatingIfNeeded: row["signed_prekey_id"] as Int64)
      device.signedPrekey.publicKey = row["signed_prekey"]
      device.signedPrekey.signature = row["signed_prekey_sig"]
      device.kemLastResort.keyID = UInt32(truncatingIfNeeded: row["kem_last_resort_id"] as Int64)
      device.kemLastResort.publicKey = row["kem_last_resort"]
      device.kemLastResort.signature = row["kem_last_resort_sig"]
      device.mailboxHead = UInt64(row["mailbox_head"] as Int64)
      device.ackedCursor = UInt64(row["acked_cursor"] as Int64)
      devices[device.deviceID] = device
      order.append(device.deviceID)
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT device_id, kind, key_id, public_key, signature FROM one_time_prekeys WHERE user_address = ?",
      arguments: [u])
    {
      devices[row[0] as String]?.addPrekey(kind: row[1], id: row[2], publicKey: row[3], signature: row[4])
    }
    for row in try Row.fetchAll(
      db, sql: "SELECT device_id, kind, token, secret FROM push_endpoints WHERE user_address = ?", arguments: [u])
    {
      let id: String = row[0]
      devices[id]?.push.kind = Relay_V1_PushKind(rawValue: row[1]) ?? .unspecified
      devices[id]?.push.token = row[2]
      devices[id]?.push.secret = row[3]
    }
    return order.compactMap { devices[$0] }
  }

  /// A message held here, with only `user`'s copies.
  private static func transferredMessage(
    _ conversation: String, _ seq: Int64, for user: String, _ db: Database
  ) throws -> Relay_V1_ReplicatedMessage {
    guard
      let row = try db.cachedStatement(
        sql: """
          SELECT message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms
          FROM messages WHERE conversation_id = ? AND seq = ?
          """
      ).fetchOneRow(arguments: [conversation, seq])
    else { throw RelayError(.internal, "a mailbox entry names a missing message") }
    var message = Relay_V1_ReplicatedMessage()
    message.conversationID = conversation
    message.messageID = row[0]
    message.sender = "\(row[1] as String)/\(row[2] as String)"
    message.hlc = UInt64(bitPattern: row[3])
    message.originRelay = row[4]
    message.originSeq = UInt64(row[5] as Int64)
    message.sentAtMs = row[6]
    message.copies = try db.cachedStatement(
      sql: """
        SELECT recipient_user, recipient_device, ciphertext FROM copies
        WHERE conversation_id = ? AND seq = ? AND recipient_user = ? ORDER BY recipient_device
        """
    ).fetchAllRows(arguments: [conversation, seq, user]).map { row in
      var copy = Relay_V1_SealedCopy()
      copy.device = "\(row[0] as String)/\(row[1] as String)"
      copy.ciphertext = row[2]
      return copy
    }
    return message
  }
}
