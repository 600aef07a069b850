internal import Foundation
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// Arrival order across a move (docs/regions.md): each region sends the old
/// home a marker behind what it queued there for the moved user; until a
/// region's marker comes through, the new home holds the copies for the user
/// of messages that entered the domain by that region (straight from it,
/// through the old home, or again by anti-entropy) out of the mailboxes
/// (``SendStatement`` holds them).
extension PostgresStore {
  /// On arrival, in its savepoint: every region but the old home owes a
  /// marker (this one too: its own sends to the user went through the old
  /// home until now), and this region's goes to the old home at once.
  static func startDrains(_ plan: UserTransferPlan, region: LocalRegion, _ db: PostgresConnection) async throws {
    let user = plan.claim.user
    let version = try Int64(wire: plan.claim.version, field: "home version")
    let regions = ([region.name] + region.siblings).filter { $0 != plan.source }
    try await db.run(
      """
      INSERT INTO move_drains (user_address, region, version)
      SELECT \(user.description), r, \(version) FROM unnest(\(regions)::text[]) AS r
      ON CONFLICT (user_address, region) DO UPDATE SET version = excluded.version
      """)
    let marker = MoveMarker(user: user, version: plan.claim.version, region: region.name)
    try await Self.enqueue(marker.event, for: RelayID.of(domain: region.domain, region: plan.source), db)
  }

  /// A claim that won here moved the user from `previous` (or the claim's
  /// old home): this region's marker goes there, behind what it queued there.
  static func markMove(
    _ claim: HomeClaim, previous: String?, region: LocalRegion?, _ db: PostgresConnection
  ) async throws {
    guard let region, let oldHome = claim.movedFrom ?? previous, oldHome != region.name, oldHome != claim.region
    else { return }
    let marker = MoveMarker(user: claim.user, version: claim.version, region: region.name)
    try await Self.enqueue(marker.event, for: RelayID.of(domain: region.domain, region: oldHome), db)
  }

  /// On the new home: `region`'s marker came through the old home. What was
  /// held of that region's enters the mailboxes in the order of the messages'
  /// clocks (each origin's own order, however each copy came).
  static func endDrain(_ marker: MoveMarker, _ db: PostgresConnection) async throws -> [Doorbell] {
    let u = marker.user.description
    let version = try Int64(wire: marker.version, field: "marker version")
    guard
      try await !db.rows(
        """
        DELETE FROM move_drains WHERE user_address = \(u) AND region = \(marker.region) AND version <= \(version)
        RETURNING 1
        """
      ).isEmpty
    else { return [] }
    let held = try await db.rows(
      """
      WITH h AS (
        DELETE FROM held_copies WHERE user_address = \(u) AND region = \(marker.region)
        RETURNING id, device_id, conversation_id, seq
      )
      SELECT h.device_id, m.conversation_id, m.seq, m.message_id, m.sender_user, m.sender_device, m.hlc,
             m.origin_relay, m.origin_seq, m.sent_at_ms, c.ciphertext
      FROM h JOIN messages m ON m.conversation_id = h.conversation_id AND m.seq = h.seq
      JOIN copies c ON c.conversation_id = h.conversation_id AND c.seq = h.seq
        AND c.recipient_user = \(u) AND c.recipient_device = h.device_id
      ORDER BY m.hlc, h.id
      """)
    var entries = [(device: DeviceAddress, entry: Relay_V1_MailboxEntry)]()
    entries.reserveCapacity(held.count)
    for row in held {
      let cells = row.makeRandomAccess()
      var envelope = try Self.envelope(cells, offset: 3)
      envelope.conversationID = try cells[1].decode(String.self)
      envelope.seq = UInt64(try cells[2].decode(Int64.self))
      var entry = Relay_V1_MailboxEntry()
      entry.envelope = envelope
      entries.append((try DeviceAddress.stored(user: u, device: try cells[0].decode(String.self)), entry))
    }
    try await Self.lockDevices(db, Set(entries.map(\.device)))
    return try await Self.appendToMailboxes(db, entries)
  }

  /// Holds copies (written already) out of their devices' mailboxes until `region`'s marker comes.
  static func hold(
    _ devices: [DeviceAddress], _ conversation: String, _ seq: Int64, region: String, _ db: PostgresConnection
  ) async throws {
    guard !devices.isEmpty else { return }
    try await db.run(
      """
      INSERT INTO held_copies (user_address, region, device_id, conversation_id, seq)
      SELECT u, \(region), d, \(conversation), \(seq)
      FROM unnest(\(devices.map(\.user.description))::text[], \(devices.map(\.deviceID))::text[]) AS t(u, d)
      """)
  }
}
