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

    let deviceRows = try db.cachedStatement(
      sql: "SELECT d.user, d.device_id FROM members m JOIN devices d ON d.user = m.user WHERE m.conversation_id = ?"
    ).fetchAllRows(arguments: [send.conversationID])
    var expected = Set<String>()
    var senderIsMember = false
    for row in deviceRows {
      let user: String = row[0]
      let device: String = row[1]
      if user == sender {
        senderIsMember = true
        if device == send.sender.deviceID { continue }
      }
      expected.insert("\(user)/\(device)")
    }
    if !senderIsMember {
      let member = try db.cachedStatement(sql: "SELECT 1 FROM members WHERE conversation_id = ? AND user = ?")
        .fetchOneRow(arguments: [send.conversationID, sender])
      if member == nil { throw RelayError(.permissionDenied, "the sender is not a member of this conversation") }
    }
    let addressed = Set(send.copies.map(\.device.description))
    if addressed != expected {
      var error = RelayError(
        .failedPrecondition, "the send must address exactly the current devices of every member")
      error.deviceMismatch = .init(
        missing: expected.subtracting(addressed).sorted(), stale: addressed.subtracting(expected).sorted())
      throw error
    }

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
    // One envelope for every recipient; only the ciphertext (and the cursor) differ.
    var entry = Relay_V1_MailboxEntry()
    entry.envelope = .with { envelope in
      envelope.conversationID = send.conversationID
      envelope.seq = UInt64(seq)
      envelope.messageID = send.messageID.text
      envelope.sender = send.sender.description
      envelope.hlc = hlc
      envelope.originRelay = send.originRelay
      envelope.originSeq = UInt64(originSeq)
      envelope.sentAtMs = nowMs
    }
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(send.copies.count)
    for copy in send.copies {
      try insertCopy.execute(arguments: [
        send.conversationID, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext,
      ])
      entry.envelope.ciphertext = copy.ciphertext
      doorbells.append(try Self.appendToMailbox(db, device: copy.device, entry: entry))
    }
    var result = Relay_V1_SendResult()
    result.messageID = send.messageID.text
    result.conversationID = send.conversationID
    result.seq = UInt64(seq)
    result.hlc = hlc
    result.originRelay = send.originRelay
    result.originSeq = UInt64(originSeq)
    result.sentAtMs = nowMs
    return SendOutcome(result: result, doorbells: doorbells)
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
