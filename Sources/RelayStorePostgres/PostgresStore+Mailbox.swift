internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
public import Wire

extension PostgresStore {
  /// Locks device rows in one order (user, device id), so that transactions
  /// touching several mailboxes never wait on each other in a cycle.
  static func lockDevices(_ db: PostgresConnection, _ devices: some Sequence<DeviceAddress>) async throws {
    _ = try await Self.lockDevicesReadingCursors(db, devices)
  }

  /// ``lockDevices(_:_:)``, returning each locked device's mailbox head (a
  /// device with no row here is absent: another relay's or region's).
  static func lockDevicesReadingHeads(
    _ db: PostgresConnection, _ devices: some Sequence<DeviceAddress>
  ) async throws -> [DeviceAddress: Int64] {
    try await Self.lockDevicesReadingCursors(db, devices).mapValues(\.head)
  }

  /// ``lockDevices(_:_:)``, returning each locked device's mailbox head and
  /// acked cursor, read by the locking statement itself.
  static func lockDevicesReadingCursors(
    _ db: PostgresConnection, _ devices: some Sequence<DeviceAddress>
  ) async throws -> [DeviceAddress: (head: Int64, acked: Int64)] {
    let sorted = Set(devices).sorted { ($0.user.description, $0.deviceID) < ($1.user.description, $1.deviceID) }
    guard !sorted.isEmpty else { return [:] }
    var cursors = [DeviceAddress: (head: Int64, acked: Int64)](minimumCapacity: sorted.count)
    for row in try await db.rows(
      """
      SELECT d.user_address, d.device_id, d.mailbox_head, d.acked_cursor FROM devices d
      JOIN unnest(\(sorted.map(\.user.description))::text[], \(sorted.map(\.deviceID))::text[]) AS t(u, i)
        ON d.user_address = t.u AND d.device_id = t.i
      ORDER BY d.user_address, d.device_id FOR UPDATE OF d
      """)
    {
      let (user, device, head, acked) = try row.decode((String, String, Int64, Int64).self)
      cursors[try DeviceAddress.stored(user: user, device: device)] = (head, acked)
    }
    return cursors
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
    var rows = MailboxRows(capacity: entries.count)
    var doorbells = [Doorbell]()
    doorbells.reserveCapacity(entries.count)
    for (device, entry) in entries {
      guard let cursor = next[device] else { throw RelayError(.notFound, "unknown device") }
      next[device] = cursor + 1
      doorbells.append(
        Doorbell(device: device, cursor: cursor, entry: try rows.append(entry, for: device, cursor: cursor)))
    }
    try await rows.insert(db)
    return doorbells
  }

  public func mailbox(
    of device: DeviceAddress, after cursor: UInt64, limit: Int
  ) async throws -> [Relay_V1_MailboxEntry] {
    let after = try Int64(wire: cursor, field: "mailbox cursor")
    return try await self.read("reading a mailbox") { db in
      try await db.rows(
        """
        SELECT cursor, kind, conversation_id, seq, message_id, sender, hlc, origin_relay, origin_seq, sent_at_ms,
               ciphertext, receipt_status, receipt_by, receipt_at_ms
        FROM mailbox
        WHERE user_address = \(device.user.description) AND device_id = \(device.deviceID) AND cursor > \(after)
        ORDER BY cursor LIMIT \(limit)
        """
      ).map(MailboxRows.entry)
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
