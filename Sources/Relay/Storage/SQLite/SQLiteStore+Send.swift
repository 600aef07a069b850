internal import Foundation
internal import GRDB
internal import SwiftProtobuf
public import Wire

extension SQLiteStore {
  public func commit(
    _ sends: [SendCommand], clock: HybridLogicalClock
  ) async throws -> [Result<SendOutcome, RelayError>] {
    try await self.write("committing sends") { db in
      var results = [Result<SendOutcome, RelayError>]()
      results.reserveCapacity(sends.count)
      for send in sends {
        var outcome: Result<SendOutcome, RelayError> = .failure(RelayError(.internal, "send not committed"))
        try db.inSavepoint {
          do {
            outcome = .success(try Self.commitOne(send, db, clock: clock))
            return .commit
          } catch let error as RelayError {
            outcome = .failure(error)
            return .rollback
          }
        }
        results.append(outcome)
      }
      return results
    }
  }

  /// One send: dedup, membership, the exact device set, then the writes.
  static func commitOne(_ send: SendCommand, _ db: Database, clock: HybridLogicalClock) throws -> SendOutcome {
    let sender = send.sender.user.description
    if let row = try db.cachedStatement(
      sql: """
        SELECT conversation_id, seq, hlc, origin_relay, origin_seq, sent_at_ms FROM messages
        WHERE sender_user = ? AND sender_device = ? AND message_id = ?
        """
    ).fetchOneRow(arguments: [sender, send.sender.deviceID, send.messageID.text]) {
      var result = Self.sendResult(row, messageID: send.messageID.text)
      result.duplicate = true
      return SendOutcome(result: result, doorbells: [])
    }
    guard
      let conversation = try db.cachedStatement(
        sql: "SELECT last_seq, last_origin_seq FROM conversations WHERE id = ?"
      ).fetchOneRow(arguments: [send.conversationID])
    else { throw RelayError(.notFound, "unknown conversation") }

    let members = try db.cachedStatement(
      sql: """
        SELECT d.user, d.device_id FROM members m JOIN devices d ON d.user = m.user WHERE m.conversation_id = ?
        UNION ALL
        SELECT r.user, r.device_id FROM members m JOIN remote_devices r ON r.user = m.user WHERE m.conversation_id = ?
        """
    ).fetchAllRows(arguments: [send.conversationID, send.conversationID])
    try send.checkRecipients(members.lazy.map { (user: $0[0] as String, device: $0[1] as String) })

    let seq: Int64 = conversation[0] + 1
    let originSeq: Int64 = conversation[1] + 1
    let (hlc, nowMs) = clock.now()
    try db.cachedStatement(
      sql: "UPDATE conversations SET last_seq = ?, last_origin_seq = ?, last_activity_ms = ? WHERE id = ?"
    ).execute(arguments: [seq, originSeq, nowMs, send.conversationID])
    try db.cachedStatement(
      sql: """
        INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(arguments: [
      send.conversationID, seq, send.messageID.text, sender, send.sender.deviceID,
      Int64(bitPattern: hlc), send.originRelay, originSeq, nowMs,
    ])
    let insertCopy = try db.cachedStatement(
      sql:
        "INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext) VALUES (?, ?, ?, ?, ?)"
    )
    let placed = PlacedMessage(seq: UInt64(seq), originSeq: UInt64(originSeq), hlc: hlc, sentAtMs: nowMs)
    // One envelope for every recipient; only the ciphertext (and the cursor) differ.
    var entry = send.envelopeEntry(placed)
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(send.copies.count)
    var remote = false
    for copy in send.copies {
      try insertCopy.execute(arguments: [
        send.conversationID, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext,
      ])
      guard copy.device.user.domain == send.originRelay else {
        remote = true
        continue
      }
      entry.envelope.ciphertext = copy.ciphertext
      doorbells.append(try Self.appendToMailbox(db, device: copy.device, entry: entry))
    }
    if remote {
      // One outbox event per relay that homes a recipient, with that relay's copies only.
      for (peer, copies) in send.remoteCopies() {
        try Self.enqueue(.message(send, placed, copies: copies), for: peer, db)
      }
    }
    return SendOutcome(result: send.result(placed), doorbells: doorbells)
  }

  static func sendResult(_ row: Row, messageID: String) -> Relay_V1_SendResult {
    var result = Relay_V1_SendResult()
    result.messageID = messageID
    result.conversationID = row["conversation_id"]
    result.seq = UInt64(row["seq"] as Int64)
    result.hlc = UInt64(bitPattern: row["hlc"] as Int64)
    result.originRelay = row["origin_relay"]
    result.originSeq = UInt64(row["origin_seq"] as Int64)
    result.sentAtMs = row["sent_at_ms"]
    return result
  }
}
