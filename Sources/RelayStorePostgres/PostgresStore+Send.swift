internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import RelayCore
internal import Wire

extension PostgresStore {
  /// Commits a batch of sends in one transaction, with a fixed number of
  /// statements whatever the batch's size: the locks (reading the
  /// conversations' counters and the devices' heads), the members of each
  /// conversation, the dedup keys, then one write per table (``SendBatch``).
  /// Each send is checked before anything of it is written, so a refused send
  /// wrote nothing; a failure while writing is the store's and rolls the
  /// whole batch back.
  public func commit(
    _ sends: [SendCommand], clock: HybridLogicalClock
  ) async throws -> [Result<SendOutcome, RelayError>] {
    let region = self.region
    return try await self.transaction("committing sends") { db in
      // Every lock the batch needs, in the one global order: conversations, then devices.
      let counters = try await Self.lockConversations(Set(sends.map(\.conversationID)), db)
      let heads = try await Self.lockDevicesReadingHeads(db, sends.lazy.flatMap { $0.copies.lazy.map(\.device) })
      let checks = try await Self.check(sends, db)
      let fresh = try await Self.claimMessageIDs(
        zip(sends, checks).compactMap { send, check in check == nil ? send : nil }, db)
      let recipients = Set(sends.lazy.flatMap { $0.copies.lazy.map(\.device.user) })
      let held = try await Self.drainingUsers(among: recipients, region: region, db)
      let relays = try await Self.relays(region, for: recipients, db)
      var batch = SendBatch(conversations: counters, heads: heads, held: held, capacity: sends.count)
      var results = [Result<SendOutcome, RelayError>]()
      results.reserveCapacity(sends.count)
      var placedByKey = [MessageKey: SendOutcome]()
      var outbox = [(peer: String, event: Relay_V1_FederationEvent)]()
      for (send, check) in zip(sends, checks) {
        let key = MessageKey(send)
        if let first = placedByKey[key] {
          // A retry in the same batch gets the first send's result.
          results.append(.success(first.asDuplicate))
        } else if check == nil, fresh.contains(key) {
          let (outcome, placed) = try batch.place(send, clock: clock)
          placedByKey[key] = outcome
          results.append(.success(outcome))
          // One outbox event per relay that homes a recipient, with that relay's copies only.
          for (peer, copies) in send.remoteCopies(relays) {
            outbox.append((peer, .message(send, placed, copies: copies)))
          }
        } else if let duplicate = try await Self.duplicate(of: send, db) {
          // A retry of a committed send gets its first result, even if the members changed since.
          results.append(.success(duplicate))
        } else {
          // Refused; or its key was taken by a send another node committed a moment ago, not yet readable here.
          results.append(.failure(check ?? RelayError(.aborted, "the send raced with itself; retry")))
        }
      }
      try await batch.write(db, region: region?.name)
      for (peer, event) in outbox { try await Self.enqueue(event, for: peer, db) }
      return results
    }
  }

  /// Each send's check against its conversation's member devices (nil: it
  /// passes), reading the members once per conversation: its row is locked
  /// for the batch, so they cannot change under it.
  private static func check(_ sends: [SendCommand], _ db: PostgresConnection) async throws -> [RelayError?] {
    var members = [String: MemberDevices?]()
    var checks = [RelayError?]()
    checks.reserveCapacity(sends.count)
    for send in sends {
      let devices: MemberDevices?
      if let known = members[send.conversationID] {
        devices = known
      } else {
        devices = try await Self.memberDevices(of: send.conversationID, db)
        members[send.conversationID] = devices
      }
      do throws(RelayError) {
        guard let devices else { throw RelayError(.notFound, "unknown conversation") }
        try send.checkRecipients(devices)
        checks.append(nil)
      } catch {
        checks.append(error)
      }
    }
    return checks
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
