internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import Wire

extension PostgresStore {
  public func commit(
    _ sends: [SendCommand], clock: HybridLogicalClock
  ) async throws -> [Result<SendOutcome, RelayError>] {
    try await self.transaction("committing sends") { db in
      // Every lock the batch needs, in the one global order: conversations, then devices.
      let conversations = Set(sends.map(\.conversationID)).sorted()
      try await db.run("SELECT 1 FROM conversations WHERE id = ANY(\(conversations)::text[]) ORDER BY id FOR UPDATE")
      try await Self.lockDevices(db, sends.lazy.flatMap { $0.copies.lazy.map(\.device) })
      var results = [Result<SendOutcome, RelayError>]()
      results.reserveCapacity(sends.count)
      for send in sends {
        do {
          results.append(.success(try await Self.commitOne(send, db, clock: clock)))
        } catch let error as RelayError {
          // Every check runs before the first write: a refused send wrote nothing.
          results.append(.failure(error))
        }
      }
      return results
    }
  }

  /// One send: dedup, membership and the exact device set, then one
  /// statement for the message, its copies and the sequence numbers, and the
  /// mailbox appends.
  static func commitOne(
    _ send: SendCommand, _ db: PostgresConnection, clock: HybridLogicalClock
  ) async throws
    -> SendOutcome
  {
    if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
    let members = try await db.rows(
      """
      SELECT d.user_address, d.device_id FROM conversations c
      LEFT JOIN members m ON m.conversation_id = c.id
      LEFT JOIN devices d ON d.user_address = m.user_address
      WHERE c.id = \(send.conversationID)
      """)
    guard !members.isEmpty else { throw RelayError(.notFound, "unknown conversation") }
    try send.checkRecipients(
      try members.compactMap { row in
        let (user, device) = try row.decode((String?, String?).self)
        guard let user, let device else { return nil }
        return (user: user, device: device)
      })

    let (hlc, nowMs) = clock.now()
    let sender = send.sender.user.description
    let placed = try await db.rows(
      """
      WITH ids AS (
        INSERT INTO message_ids (sender_user, sender_device, message_id, conversation_id)
        VALUES (\(sender), \(send.sender.deviceID), \(send.messageID.text), \(send.conversationID))
        ON CONFLICT DO NOTHING RETURNING 1
      ), conv AS (
        UPDATE conversations SET last_seq = last_seq + 1, last_origin_seq = last_origin_seq + 1,
          last_activity_ms = \(nowMs)
        WHERE id = \(send.conversationID) AND EXISTS (SELECT 1 FROM ids)
        RETURNING last_seq, last_origin_seq
      ), msg AS (
        INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay,
          origin_seq, sent_at_ms)
        SELECT \(send.conversationID), last_seq, \(send.messageID.text), \(sender), \(send.sender.deviceID),
          \(Int64(bitPattern: hlc)), \(send.originRelay), last_origin_seq, \(nowMs) FROM conv
      ), cp AS (
        INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext)
        SELECT \(send.conversationID), conv.last_seq, t.u, t.d, t.x FROM conv,
          unnest(\(send.copies.map(\.device.user.description))::text[], \(send.copies.map(\.device.deviceID))::text[],
            \(send.copies.map { ByteBuffer(bytes: $0.ciphertext) })::bytea[]) AS t(u, d, x)
      )
      SELECT last_seq, last_origin_seq FROM conv
      """)
    guard let row = placed.first else {
      // The same message id was committed by another node while this one checked: that one is the send.
      if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
      throw RelayError(.aborted, "the send raced with itself; retry")
    }
    let (seq, originSeq) = try row.decode((Int64, Int64).self)
    let message = PlacedMessage(seq: UInt64(seq), originSeq: UInt64(originSeq), hlc: hlc, sentAtMs: nowMs)
    var entry = send.envelopeEntry(message)
    let entries = send.copies.map { copy in
      entry.envelope.ciphertext = copy.ciphertext
      return (device: copy.device, entry: entry)
    }
    let doorbells = try await Self.appendToMailboxes(db, entries)
    return SendOutcome(result: send.result(message), doorbells: doorbells)
  }

  /// The first result of a send with the same (sender device, message id), if there was one.
  private static func duplicate(of send: SendCommand, _ db: PostgresConnection) async throws -> SendOutcome? {
    let rows = try await db.rows(
      """
      SELECT m.conversation_id, m.seq, m.hlc, m.origin_relay, m.origin_seq, m.sent_at_ms
      FROM message_ids i JOIN messages m ON m.conversation_id = i.conversation_id AND m.sender_user = i.sender_user
        AND m.sender_device = i.sender_device AND m.message_id = i.message_id
      WHERE i.sender_user = \(send.sender.user.description) AND i.sender_device = \(send.sender.deviceID)
        AND i.message_id = \(send.messageID.text)
      """)
    guard let row = rows.first else { return nil }
    let (conversationID, seq, hlc, originRelay, originSeq, sentAt) = try row.decode(
      (String, Int64, Int64, String, Int64, Int64).self)
    var result = Relay_V1_SendResult()
    result.messageID = send.messageID.text
    result.conversationID = conversationID
    result.seq = UInt64(seq)
    result.hlc = UInt64(bitPattern: hlc)
    result.originRelay = originRelay
    result.originSeq = UInt64(originSeq)
    result.sentAtMs = sentAt
    result.duplicate = true
    return SendOutcome(result: result, doorbells: [])
  }
}
