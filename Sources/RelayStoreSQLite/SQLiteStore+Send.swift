internal import Foundation
internal import GRDB
public import RelayCore
internal import SwiftProtobuf
internal import Wire

extension SQLiteStore {
  /// Commits a batch of sends in one transaction. Each send is checked
  /// (duplicate, membership, device set) before anything of it is written, so
  /// a refused send needs no savepoint; a failure while writing is the
  /// store's, and rolls the whole batch back.
  public func commit(
    _ sends: [SendCommand], clock: HybridLogicalClock
  ) async throws -> [Result<SendOutcome, RelayError>] {
    try await self.write("committing sends") { db in
      var batch = SQLiteWriteBatch(region: self.region)
      var results = [Result<SendOutcome, RelayError>]()
      results.reserveCapacity(sends.count)
      for send in sends { results.append(try Self.commit(send, db, clock: clock, batch: &batch)) }
      try batch.flush(db)
      return results
    }
  }

  /// One send of a batch: refused (written nothing), a retry's first result, or placed.
  static func commit(
    _ send: SendCommand, _ db: Database, clock: HybridLogicalClock, batch: inout SQLiteWriteBatch
  ) throws -> Result<SendOutcome, RelayError> {
    let conversation: SQLiteWriteBatch.Conversation
    do {
      if let duplicate = try Self.duplicate(of: send, db) { return .success(duplicate) }
      conversation = try batch.conversation(send.conversationID, db)
      try send.checkRecipients(conversation.devices)
    } catch let error as RelayError {
      return .failure(error)
    }
    // Outside the catch: an error while writing fails the batch, never one send.
    return .success(try Self.place(send, after: conversation, db, clock: clock, batch: &batch))
  }

  /// The first result of a send already committed (a retry), if it was.
  static func duplicate(of send: SendCommand, _ db: Database) throws -> SendOutcome? {
    try db.cachedStatement(
      sql: """
        SELECT \(CommittedMessage.columns) FROM messages
        WHERE sender_user = ? AND sender_device = ? AND message_id = ?
        """
    ).fetchOneRow(arguments: [send.sender.user.description, send.sender.deviceID, send.messageID.text])
      .map { CommittedMessage(row: $0).duplicateResult }
  }

  /// Writes a checked send: the message, its copies, the recipients' mailbox
  /// entries and the outbox events for other relays. Any error here is the
  /// store's: it is not a `RelayError`, so the batch fails as a whole.
  static func place(
    _ send: SendCommand, after conversation: SQLiteWriteBatch.Conversation, _ db: Database,
    clock: HybridLogicalClock, batch: inout SQLiteWriteBatch
  ) throws -> SendOutcome {
    let seq = conversation.lastSeq + 1
    let originSeq = conversation.lastOriginSeq + 1
    let (hlc, nowMs) = clock.now()
    try db.cachedStatement(
      sql: """
        INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(arguments: [
      send.conversationID, seq, send.messageID.text, send.sender.user.description, send.sender.deviceID,
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
    let relays = try Self.relays(batch.region, for: send.copies.lazy.map(\.device.user), db)
    for copy in send.copies {
      try insertCopy.execute(arguments: [
        send.conversationID, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext,
      ])
      guard relays.relay(of: copy.device.user) == send.originRelay else {
        remote = true
        continue
      }
      // A user who moved here, whose sends from this region went through the old home until now (docs/regions.md).
      if let holder = try batch.holder(of: copy.device.user, db) {
        try Self.hold(copy.device, send.conversationID, seq, region: holder, db)
        continue
      }
      entry.envelope.ciphertext = copy.ciphertext
      doorbells.append(try batch.append(entry, to: copy.device, db))
    }
    if remote {
      // One outbox event per relay that homes a recipient, with that relay's copies only.
      for (peer, copies) in send.remoteCopies(relays) {
        try Self.enqueue(.message(send, placed, copies: copies), for: peer, db)
      }
    }
    batch.placed(in: send.conversationID, seq: seq, originSeq: originSeq, atMs: nowMs)
    return SendOutcome(result: send.result(placed), doorbells: doorbells)
  }
}
