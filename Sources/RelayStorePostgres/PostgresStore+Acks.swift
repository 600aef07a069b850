internal import PostgresNIO
public import RelayCore
internal import Wire

extension PostgresStore {
  /// A batch of acks in a fixed number of statements, like a batch of sends
  /// (`SendBatch`): what every ack covers in one read, every device locked in
  /// one statement, the receipts in one insert, the prunes and the acked
  /// cursors in one statement each.
  public func acknowledge(_ acks: [AckCommand]) async throws -> [Result<[Doorbell], RelayError>] {
    var results = [Result<[Doorbell], RelayError>?](repeating: nil, count: acks.count)
    // A device's second ack in one batch (a replaced stream's, racing its successor's) waits for a later round.
    var round = [DeviceAddress: Int]()
    var rounds = [[Int]]()
    for (index, ack) in acks.enumerated() {
      let number = round[ack.device, default: 0]
      round[ack.device] = number + 1
      if number == rounds.count { rounds.append([]) }
      rounds[number].append(index)
    }
    for indices in rounds {
      // A cursor past what the store holds is refused before any work.
      var checked = [(index: Int, ack: AckCommand, upTo: Int64)]()
      for index in indices {
        do {
          checked.append((index, acks[index], try Int64(wire: acks[index].cursor, field: "ack cursor")))
        } catch {
          results[index] = .failure(error)
        }
      }
      guard !checked.isEmpty else { continue }
      let batch = checked.map { (ack: $0.ack, upTo: $0.upTo) }
      let applied = try await self.transaction("acknowledging") { [region = self.region] db in
        try await Self.acknowledge(batch, db, region: region)
      }
      for (entry, result) in zip(checked, applied) { results[entry.index] = result }
    }
    return results.map { $0 ?? .failure(RelayError(.internal, "an ack was not applied")) }
  }

  /// Acks of distinct devices, in one transaction: what each covers is read
  /// first, then every device they write to is locked in the one order.
  private static func acknowledge(
    _ acks: [(ack: AckCommand, upTo: Int64)], _ db: PostgresConnection, region: LocalRegion?
  ) async throws -> [Result<[Doorbell], RelayError>] {
    let users = acks.map(\.ack.device.user.description)
    let ids = acks.map(\.ack.device.deviceID)
    let covered = try await Self.covered(db, users: users, ids: ids, cursors: acks.map(\.upTo))
    let senders = try await Self.devices(db, of: Set(covered.lazy.flatMap { $0.map(\.senderUser) }))
    let cursors = try await Self.lockDevicesReadingCursors(
      db, acks.map(\.ack.device) + senders.values.flatMap { $0 })
    // Each ack checked; the receipts of those that pass, in order.
    var outcomes = [Result<Range<Int>, RelayError>]()
    var entries = [(device: DeviceAddress, entry: Relay_V1_MailboxEntry)]()
    var applied = [(ack: AckCommand, upTo: Int64)]()
    for ((ack, upTo), delivered) in zip(acks, covered) {
      do {
        guard let known = cursors[ack.device] else { throw RelayError(.notFound, "unknown device") }
        try ReceiptRules.checkAck(
          ack.cursor, head: UInt64(clamping: known.head), acked: UInt64(clamping: known.acked))
      } catch let error as RelayError {
        outcomes.append(.failure(error))
        continue
      }
      // Entries at or below the acked cursor were pruned, so everything found is newly delivered.
      let start = entries.count
      entries += try await Self.receipts(
        db, covering: delivered, status: .delivered, by: ack.device, atMs: ack.atMs, senders: senders, region: region)
      outcomes.append(.success(start ..< entries.count))
      applied.append((ack, upTo))
    }
    let doorbells = try await Self.appendToMailboxes(db, entries)
    try await Self.prune(db, applied)
    return outcomes.map { $0.map { Array(doorbells[$0]) } }
  }

  /// The newest message per sender that each ack covers (read before any lock is taken).
  private static func covered(
    _ db: PostgresConnection, users: [String], ids: [String], cursors: [Int64]
  ) async throws -> [[CoveredMessage]] {
    var covered = [[CoveredMessage]](repeating: [], count: users.count)
    for row in try await db.rows(
      """
      SELECT t.n, mb.conversation_id, mb.seq, mb.origin_seq, mb.message_id, mb.sender_user, mb.sender
      FROM unnest(\(users)::text[], \(ids)::text[], \(cursors)::bigint[]) WITH ORDINALITY AS t(u, i, c, n)
      JOIN mailbox mb ON mb.user_address = t.u AND mb.device_id = t.i AND mb.cursor <= t.c
      WHERE mb.kind = 0 AND mb.sender_user <> mb.user_address
      ORDER BY t.n, mb.cursor
      """)
    {
      let (n, conversationID, seq, originSeq, messageID, senderUser, sender) = try row.decode(
        (Int64, String, Int64, Int64, String, String, String).self)
      guard let index = Int(exactly: n - 1), covered.indices.contains(index) else { continue }
      covered[index].append(
        CoveredMessage(
          conversationID: conversationID, seq: seq, originSeq: originSeq, messageID: messageID,
          senderUser: senderUser, sender: sender))
    }
    return covered.map { $0.newestPerSender() }
  }

  /// Prunes the acked entries and records the acked cursors.
  private static func prune(_ db: PostgresConnection, _ acks: [(ack: AckCommand, upTo: Int64)]) async throws {
    guard !acks.isEmpty else { return }
    let users = acks.map(\.ack.device.user.description)
    let ids = acks.map(\.ack.device.deviceID)
    let cursors = acks.map(\.upTo)
    try await db.run(
      """
      DELETE FROM mailbox mb USING unnest(\(users)::text[], \(ids)::text[], \(cursors)::bigint[]) AS t(u, i, c)
      WHERE mb.user_address = t.u AND mb.device_id = t.i AND mb.cursor <= t.c
      """)
    try await db.run(
      """
      UPDATE devices d SET acked_cursor = t.c
      FROM unnest(\(users)::text[], \(ids)::text[], \(cursors)::bigint[]) AS t(u, i, c)
      WHERE d.user_address = t.u AND d.device_id = t.i
      """)
  }
}
