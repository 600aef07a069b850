internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import RelayCore
internal import Wire

extension PostgresStore {
  public func commit(
    _ sends: [SendCommand], clock: HybridLogicalClock
  ) async throws -> [Result<SendOutcome, RelayError>] {
    let region = self.region
    return try await self.transaction("committing sends") { db in
      // Every lock the batch needs, in the one global order: conversations, then devices.
      let conversations = Set(sends.map(\.conversationID)).sorted()
      try await db.run("SELECT 1 FROM conversations WHERE id = ANY(\(conversations)::text[]) ORDER BY id FOR UPDATE")
      try await Self.lockDevices(db, sends.lazy.flatMap { $0.copies.lazy.map(\.device) })
      var results = [Result<SendOutcome, RelayError>]()
      results.reserveCapacity(sends.count)
      // Read once per conversation: its row is locked for the batch, so its members cannot change under it.
      var members = [String: MemberDevices?]()
      for send in sends {
        do {
          let devices: MemberDevices?
          if let known = members[send.conversationID] {
            devices = known
          } else {
            devices = try await Self.memberDevices(of: send.conversationID, db)
            members[send.conversationID] = devices
          }
          results.append(.success(try await Self.commitOne(send, members: devices, db, clock: clock, region: region)))
        } catch let error as RelayError {
          // Every check runs before the send's one writing statement: a refused send wrote nothing.
          results.append(.failure(error))
        }
      }
      return results
    }
  }

  /// Every device of a conversation's members (local and remote); nil for a
  /// conversation that does not exist.
  static func memberDevices(of conversationID: String, _ db: PostgresConnection) async throws -> MemberDevices? {
    let rows = try await db.rows(MemberDevicesStatement(conversationID: conversationID))
    guard !rows.isEmpty else { return nil }
    return MemberDevices(
      rows.lazy.compactMap { row in
        guard let user = row.user, let device = row.device else { return nil }
        return (user: user, device: device)
      })
  }

  /// One send: the exact device set (`members`, read for the batch), then one
  /// statement for everything it writes — the dedup key, the sequence
  /// numbers, the message, its copies, each recipient's mailbox head and
  /// entry. A send already committed (a retry) is found by the dedup key and
  /// answered with its first result.
  static func commitOne(
    _ send: SendCommand, members: MemberDevices?, _ db: PostgresConnection, clock: HybridLogicalClock,
    region: LocalRegion?
  ) async throws
    -> SendOutcome
  {
    do throws(RelayError) {
      guard let members else { throw RelayError(.notFound, "unknown conversation") }
      try send.checkRecipients(members)
    } catch {
      // A retry of a committed send gets its first result, even if the members changed since.
      if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
      throw error
    }

    let (hlc, nowMs) = clock.now()
    // A user who moved here lately gets this region's sends once its marker came through the old home.
    let rows = try await db.rows(SendStatement(send: send, hlc: hlc, nowMs: nowMs, holdFor: region?.name))
    guard let first = rows.first else {
      // Nothing written: the dedup key exists (committed earlier, or by another node a moment ago).
      if let duplicate = try await Self.duplicate(of: send, db) { return duplicate }
      throw RelayError(.aborted, "the send raced with itself; retry")
    }
    let (seq, originSeq) = (first.seq, first.originSeq)
    let message = PlacedMessage(seq: UInt64(seq), originSeq: UInt64(originSeq), hlc: hlc, sentAtMs: nowMs)
    var ciphertexts = [DeviceAddress: Data](minimumCapacity: send.copies.count)
    for copy in send.copies { ciphertexts[copy.device] = copy.ciphertext }
    var entry = send.envelopeEntry(message)
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(rows.count)
    for row in rows {
      guard let user = row.user, let deviceID = row.device, let head = row.head else { continue }
      let device = try DeviceAddress.stored(user: user, device: deviceID)
      entry.envelope.ciphertext = ciphertexts[device] ?? Data()
      entry.envelope.cursor = UInt64(head)
      doorbells.append(Doorbell(device: device, cursor: UInt64(head), entry: entry))
    }
    // One outbox event per relay that homes a recipient, with that relay's copies only.
    let relays = try await Self.relays(region, for: send.copies.lazy.map(\.device.user), db)
    for (peer, copies) in send.remoteCopies(relays) {
      try await Self.enqueue(.message(send, message, copies: copies), for: peer, db)
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
    return try await db.rows(
      """
      SELECT \(unescaped: CommittedMessage.columns) FROM messages
      WHERE conversation_id = \(conversationID) AND sender_user = \(sender) AND sender_device = \(send.sender.deviceID)
        AND message_id = \(send.messageID.text)
      """
    ).first.map { try CommittedMessage(row: $0).duplicateResult }
  }
}
