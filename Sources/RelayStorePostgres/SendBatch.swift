internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// A batch of checked sends on their way into PostgreSQL, column by column:
/// whatever the number of sends, the batch is written with one statement per
/// table (`INSERT … SELECT FROM unnest(…)`), one update of the conversations'
/// counters and one of the devices' mailbox heads — not one statement per
/// send. The batch holds the locks that make this safe: its conversations'
/// rows and its recipients' device rows, taken in ``PostgresStore/commit(_:clock:)``
/// before any counter is read.
struct SendBatch {
  /// Each conversation's counters as the batch leaves them.
  private(set) var conversations: [String: (lastSeq: Int64, lastOriginSeq: Int64, activityMs: Int64)]
  /// Each local recipient device's mailbox head as the batch leaves it.
  private(set) var heads: [DeviceAddress: Int64]
  /// Users whose copies entering by this region are held (a move's drain).
  let held: Set<String>
  private var messages = Columns.Messages()
  private var copies = Columns.Copies()
  private var holds = Columns.Holds()
  /// The envelopes that go into mailboxes now.
  private(set) var mailbox: MailboxRows

  init(
    conversations: [String: (lastSeq: Int64, lastOriginSeq: Int64)], heads: [DeviceAddress: Int64],
    held: Set<String>, capacity: Int
  ) {
    self.conversations = conversations.mapValues { ($0.lastSeq, $0.lastOriginSeq, 0) }
    self.heads = heads
    self.held = held
    self.mailbox = MailboxRows(capacity: capacity)
  }

  /// Places a checked send after everything placed before it in its
  /// conversation: its numbers, its copies, its recipients' mailbox entries
  /// (or held copies). Returns its outcome and where it landed.
  mutating func place(
    _ send: SendCommand, clock: HybridLogicalClock
  ) throws(RelayError) -> (SendOutcome, PlacedMessage) {
    guard var counters = self.conversations[send.conversationID] else {
      throw RelayError(.notFound, "unknown conversation")
    }
    counters.lastSeq += 1
    counters.lastOriginSeq += 1
    let (hlc, nowMs) = clock.now()
    counters.activityMs = max(counters.activityMs, nowMs)
    self.conversations[send.conversationID] = counters
    let placed = PlacedMessage(
      seq: UInt64(counters.lastSeq), originSeq: UInt64(counters.lastOriginSeq), hlc: hlc, sentAtMs: nowMs)
    self.messages.append(send, seq: counters.lastSeq, originSeq: counters.lastOriginSeq, placed)
    var entry = send.envelopeEntry(placed)
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(send.copies.count)
    for copy in send.copies {
      self.copies.append(copy, conversation: send.conversationID, seq: counters.lastSeq)
      // A device with no row here is another relay's or region's: its copy goes there, not to a mailbox.
      guard let head = self.heads[copy.device] else { continue }
      if self.held.contains(copy.device.user.description) {
        self.holds.append(copy.device, send.conversationID, counters.lastSeq)
        continue
      }
      self.heads[copy.device] = head + 1
      entry.envelope.ciphertext = copy.ciphertext
      let cursor = UInt64(head + 1)
      doorbells.append(
        Doorbell(
          device: copy.device, cursor: cursor, entry: try self.mailbox.append(entry, for: copy.device, cursor: cursor)))
    }
    return (SendOutcome(result: send.result(placed), doorbells: doorbells), placed)
  }

  /// Writes everything placed: messages, copies, mailbox entries, held
  /// copies, then the counters and heads.
  func write(_ db: PostgresConnection, region: String?) async throws {
    guard !self.messages.isEmpty else { return }
    try await self.messages.insert(db)
    try await self.copies.insert(db)
    try await self.mailbox.insert(db)
    if let region { try await self.holds.insert(db, region: region) }
    let ids = Array(self.conversations.keys)
    let counters = ids.map { self.conversations[$0]! }
    try await db.run(
      """
      UPDATE conversations c SET last_seq = t.s, last_origin_seq = t.o, last_activity_ms = greatest(c.last_activity_ms, t.a)
      FROM unnest(\(ids)::text[], \(counters.map(\.lastSeq))::bigint[], \(counters.map(\.lastOriginSeq))::bigint[],
        \(counters.map(\.activityMs))::bigint[]) AS t(id, s, o, a)
      WHERE c.id = t.id AND c.last_seq < t.s
      """)
    let devices = Array(self.heads.keys)
    try await db.run(
      """
      UPDATE devices d SET mailbox_head = t.h
      FROM unnest(\(devices.map(\.user.description))::text[], \(devices.map(\.deviceID))::text[],
        \(devices.map { self.heads[$0]! })::bigint[]) AS t(u, i, h)
      WHERE d.user_address = t.u AND d.device_id = t.i AND d.mailbox_head < t.h
      """)
  }
}
