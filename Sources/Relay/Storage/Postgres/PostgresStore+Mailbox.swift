internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import Wire

extension PostgresStore {
  /// Locks device rows in one order (user, device id), so that transactions
  /// touching several mailboxes never wait on each other in a cycle.
  static func lockDevices(_ db: PostgresConnection, _ devices: some Sequence<DeviceAddress>) async throws {
    let sorted = Set(devices).sorted { ($0.user.description, $0.deviceID) < ($1.user.description, $1.deviceID) }
    guard !sorted.isEmpty else { return }
    try await db.run(
      """
      SELECT 1 FROM devices d
      JOIN unnest(\(sorted.map(\.user.description))::text[], \(sorted.map(\.deviceID))::text[]) AS t(u, i)
        ON d.user_address = t.u AND d.device_id = t.i
      ORDER BY d.user_address, d.device_id FOR UPDATE OF d
      """)
  }

  /// Appends entries (envelopes or receipts, cursors unset) to mailboxes: one
  /// statement advances every device's head by its count, one inserts the
  /// rows. Returns a doorbell per entry, with the entry and its cursor.
  static func appendToMailboxes(
    _ db: PostgresConnection, _ entries: [(device: DeviceAddress, entry: Relay_V1_MailboxEntry)]
  ) async throws -> [Doorbell] {
    guard !entries.isEmpty else { return [] }
    var counts = [DeviceAddress: Int64]()
    for (device, _) in entries { counts[device, default: 0] += 1 }
    let devices = Array(counts.keys)
    var next = [DeviceAddress: UInt64]()
    for row in try await db.rows(
      """
      UPDATE devices d SET mailbox_head = d.mailbox_head + t.n
      FROM unnest(\(devices.map(\.user.description))::text[], \(devices.map(\.deviceID))::text[],
        \(devices.map { counts[$0]! })::bigint[]) AS t(u, i, n)
      WHERE d.user_address = t.u AND d.device_id = t.i
      RETURNING d.user_address, d.device_id, d.mailbox_head, t.n
      """)
    {
      let (user, device, head, count) = try row.decode((String, String, Int64, Int64).self)
      next[try DeviceAddress.stored(user: user, device: device)] = UInt64(head - count + 1)
    }
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(entries.count)
    var users = [String]()
    var ids = [String]()
    var cursors = [Int64]()
    var kinds = [Int16]()
    var conversations = [String]()
    var seqs = [Int64]()
    var statuses = [Int16]()
    var bys = [String]()
    var ats = [Int64]()
    for (device, entry) in entries {
      guard let cursor = next[device] else { throw RelayError(.notFound, "unknown device") }
      next[device] = cursor + 1
      var entry = entry
      users.append(device.user.description)
      ids.append(device.deviceID)
      cursors.append(Int64(cursor))
      switch entry.entry {
      case .envelope(var envelope):
        envelope.cursor = cursor
        kinds.append(0)
        conversations.append(envelope.conversationID)
        seqs.append(Int64(envelope.seq))
        statuses.append(0)
        bys.append("")
        ats.append(0)
        entry.envelope = envelope
      case .receipt(var receipt):
        receipt.cursor = cursor
        kinds.append(1)
        conversations.append(receipt.conversationID)
        seqs.append(Int64(receipt.seq))
        statuses.append(Int16(receipt.status.rawValue))
        bys.append(receipt.by)
        ats.append(receipt.atMs)
        entry.receipt = receipt
      case nil:
        throw RelayError(.internal, "an empty mailbox entry")
      }
      doorbells.append(Doorbell(device: device, cursor: cursor, entry: entry))
    }
    try await db.run(
      """
      INSERT INTO mailbox (user_address, device_id, cursor, kind, conversation_id, seq, receipt_status, receipt_by,
        receipt_at_ms)
      SELECT * FROM unnest(\(users)::text[], \(ids)::text[], \(cursors)::bigint[], \(kinds)::smallint[],
        \(conversations)::text[], \(seqs)::bigint[], \(statuses)::smallint[], \(bys)::text[], \(ats)::bigint[])
      """)
    return doorbells
  }

  public func mailbox(
    of device: DeviceAddress, after cursor: UInt64, limit: Int
  ) async throws -> [Relay_V1_MailboxEntry] {
    try await self.read("reading a mailbox") { db in
      try await db.rows(
        """
        SELECT mb.cursor, mb.kind, mb.conversation_id, mb.seq, mb.receipt_status, mb.receipt_by, mb.receipt_at_ms,
               m.message_id, m.sender_user, m.sender_device, m.hlc, m.origin_relay, m.origin_seq, m.sent_at_ms,
               c.ciphertext
        FROM mailbox mb
        JOIN messages m ON m.conversation_id = mb.conversation_id AND m.seq = mb.seq
        LEFT JOIN copies c ON mb.kind = 0 AND c.conversation_id = mb.conversation_id AND c.seq = mb.seq
          AND c.recipient_user = mb.user_address AND c.recipient_device = mb.device_id
        WHERE mb.user_address = \(device.user.description) AND mb.device_id = \(device.deviceID)
          AND mb.cursor > \(Int64(cursor))
        ORDER BY mb.cursor LIMIT \(limit)
        """
      ).map { row in
        let cells = row.makeRandomAccess()
        let cursor = UInt64(try cells[0].decode(Int64.self))
        let conversationID = try cells[2].decode(String.self)
        let seq = UInt64(try cells[3].decode(Int64.self))
        var entry = Relay_V1_MailboxEntry()
        if try cells[1].decode(Int16.self) == 0 {
          var envelope = try Self.envelope(cells, offset: 7)
          envelope.cursor = cursor
          envelope.conversationID = conversationID
          envelope.seq = seq
          entry.envelope = envelope
        } else {
          var receipt = Relay_V1_Receipt()
          receipt.cursor = cursor
          receipt.conversationID = conversationID
          receipt.seq = seq
          receipt.status = Relay_V1_ReceiptStatus(rawValue: Int(try cells[4].decode(Int16.self))) ?? .unspecified
          receipt.by = try cells[5].decode(String.self)
          receipt.atMs = try cells[6].decode(Int64.self)
          receipt.messageID = try cells[7].decode(String.self)
          entry.receipt = receipt
        }
        return entry
      }
    }
  }

  /// Reads message_id, sender_user, sender_device, hlc, origin_relay, origin_seq,
  /// sent_at_ms, ciphertext from consecutive columns starting at `offset`.
  static func envelope(_ cells: PostgresRandomAccessRow, offset i: Int) throws -> Relay_V1_Envelope {
    var envelope = Relay_V1_Envelope()
    envelope.messageID = try cells[i].decode(String.self)
    envelope.sender = "\(try cells[i + 1].decode(String.self))/\(try cells[i + 2].decode(String.self))"
    envelope.hlc = UInt64(bitPattern: try cells[i + 3].decode(Int64.self))
    envelope.originRelay = try cells[i + 4].decode(String.self)
    envelope.originSeq = UInt64(try cells[i + 5].decode(Int64.self))
    envelope.sentAtMs = try cells[i + 6].decode(Int64.self)
    envelope.ciphertext = try cells[i + 7].decode(Data?.self) ?? Data()
    return envelope
  }

  public func mailboxDepth() async throws -> Int64 {
    try await self.read("measuring mailboxes") { db in
      try await db.rows("SELECT COALESCE(SUM(mailbox_head - acked_cursor), 0)::bigint FROM devices")[0].decode(
        Int64.self)
    }
  }

  public func ackedCursor(of device: DeviceAddress) async throws -> UInt64 {
    try await self.read("reading a cursor") { db in
      let rows = try await db.rows(
        "SELECT acked_cursor FROM devices WHERE user_address = \(device.user.description) AND device_id = \(device.deviceID)"
      )
      guard let row = rows.first else { throw RelayError(.notFound, "unknown device") }
      return UInt64(try row.decode(Int64.self))
    }
  }
}
