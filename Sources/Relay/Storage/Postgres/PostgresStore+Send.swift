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
          // Every check runs before the send's one writing statement: a refused send wrote nothing.
          results.append(.failure(error))
        }
      }
      return results
    }
  }

  /// One send: membership and the exact device set, then one statement for
  /// everything it writes — the dedup key, the sequence numbers, the
  /// message, its copies, each recipient's mailbox head and entry. A send
  /// already committed (a retry) is found by the dedup key and answered with
  /// its first result.
  static func commitOne(
    _ send: SendCommand, _ db: PostgresConnection, clock: HybridLogicalClock
  ) async throws
    -> SendOutcome
  {
    let members = try await db.rows(
      """
      SELECT d.user_address, d.device_id FROM conversations c
      LEFT JOIN members m ON m.conversation_id = c.id
      LEFT JOIN devices d ON d.user_address = m.user_address
      WHERE c.id = \(send.conversationID)
      """)
    do throws(RelayError) {
      guard !members.isEmpty else { throw RelayError(.notFound, "unknown conversation") }
      try send.checkRecipients(
        members.lazy.compactMap { row in
          guard let (user, device) = try? row.decode((String?, String?).self), let user, let device else { return nil }
          return (user: user, device: device)
        })
    } catch {
      // A retry of a committed send gets its first result, even if the members changed since.
      if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
      throw error
    }

    let (hlc, nowMs) = clock.now()
    let sender = send.sender.user.description
    let rows = try await db.rows(
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
      ), t AS (
        SELECT * FROM unnest(\(send.copies.map(\.device.user.description))::text[],
          \(send.copies.map(\.device.deviceID))::text[], \(send.copies.map { ByteBuffer(bytes: $0.ciphertext) })::bytea[])
          AS t(u, d, x)
      ), cp AS (
        INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext)
        SELECT \(send.conversationID), conv.last_seq, t.u, t.d, t.x FROM conv, t
      ), heads AS (
        UPDATE devices dv SET mailbox_head = dv.mailbox_head + 1 FROM t
        WHERE dv.user_address = t.u AND dv.device_id = t.d AND EXISTS (SELECT 1 FROM conv)
        RETURNING dv.user_address, dv.device_id, dv.mailbox_head
      ), mb AS (
        INSERT INTO mailbox (user_address, device_id, cursor, kind, conversation_id, seq, message_id, sender,
          sender_user, hlc, origin_relay, origin_seq, sent_at_ms, ciphertext)
        SELECT h.user_address, h.device_id, h.mailbox_head, 0, \(send.conversationID), conv.last_seq,
          \(send.messageID.text), \(send.sender.description), \(sender), \(Int64(bitPattern: hlc)), \(send.originRelay),
          conv.last_origin_seq, \(nowMs), t.x
        FROM heads h JOIN t ON t.u = h.user_address AND t.d = h.device_id, conv
      )
      SELECT conv.last_seq, conv.last_origin_seq, h.user_address, h.device_id, h.mailbox_head
      FROM conv LEFT JOIN heads h ON true
      """)
    guard let first = rows.first else {
      // Nothing written: the dedup key exists (committed earlier, or by another node a moment ago).
      if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
      throw RelayError(.aborted, "the send raced with itself; retry")
    }
    let (seq, originSeq, _, _, _) = try first.decode((Int64, Int64, String?, String?, Int64?).self)
    let message = PlacedMessage(seq: UInt64(seq), originSeq: UInt64(originSeq), hlc: hlc, sentAtMs: nowMs)
    var ciphertexts = [DeviceAddress: Data](minimumCapacity: send.copies.count)
    for copy in send.copies { ciphertexts[copy.device] = copy.ciphertext }
    var entry = send.envelopeEntry(message)
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(rows.count)
    for row in rows {
      let (_, _, user, deviceID, head) = try row.decode((Int64, Int64, String?, String?, Int64?).self)
      guard let user, let deviceID, let head else { continue }
      let device = try DeviceAddress.stored(user: user, device: deviceID)
      entry.envelope.ciphertext = ciphertexts[device] ?? Data()
      entry.envelope.cursor = UInt64(head)
      doorbells.append(Doorbell(device: device, cursor: UInt64(head), entry: entry))
    }
    return SendOutcome(result: send.result(message), doorbells: doorbells)
  }

  /// The first result of a send with the same (sender device, message id),
  /// if there was one: the key names the conversation, which prunes the
  /// message look-up to one partition.
  private static func duplicate(of send: SendCommand, _ db: PostgresConnection) async throws -> SendOutcome? {
    let sender = send.sender.user.description
    let keys = try await db.rows(
      """
      SELECT conversation_id FROM message_ids
      WHERE sender_user = \(sender) AND sender_device = \(send.sender.deviceID) AND message_id = \(send.messageID.text)
      """)
    guard let key = keys.first else { return nil }
    let conversationID = try key.decode(String.self)
    let rows = try await db.rows(
      """
      SELECT seq, hlc, origin_relay, origin_seq, sent_at_ms FROM messages
      WHERE conversation_id = \(conversationID) AND sender_user = \(sender) AND sender_device = \(send.sender.deviceID)
        AND message_id = \(send.messageID.text)
      """)
    guard let row = rows.first else { return nil }
    let (seq, hlc, originRelay, originSeq, sentAt) = try row.decode((Int64, Int64, String, Int64, Int64).self)
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
