internal import Foundation
internal import GRDB
internal import RelayCore
internal import Wire

/// Arrival order across a move (docs/regions.md): each region sends the old
/// home a marker behind what it queued there for the moved user; until a
/// region's marker comes through, the new home holds the copies for the user
/// of messages that entered the domain by that region (straight from it,
/// through the old home, or again by anti-entropy) out of the mailboxes.
extension SQLiteStore {
  /// On arrival, in its savepoint: every region but the old home owes a
  /// marker (this one too: its own sends to the user went through the old
  /// home until now), and this region's goes to the old home at once.
  static func startDrains(_ plan: UserTransferPlan, region: LocalRegion, _ db: Database) throws {
    let user = plan.claim.user
    let version = try Int64(wire: plan.claim.version, field: "home version")
    for name in [region.name] + region.siblings where name != plan.source {
      try db.execute(
        sql: """
          INSERT INTO move_drains (user_address, region, version) VALUES (?, ?, ?)
          ON CONFLICT DO UPDATE SET version = excluded.version
          """,
        arguments: [user.description, name, version])
    }
    let marker = MoveMarker(user: user, version: plan.claim.version, region: region.name)
    try Self.enqueue(marker.event, for: RelayID.of(domain: region.domain, region: plan.source), db)
  }

  /// A claim that won here moved the user from `previous` (or the claim's
  /// old home): this region's marker goes there, behind what it queued there.
  static func markMove(_ claim: HomeClaim, previous: String?, region: LocalRegion?, _ db: Database) throws {
    guard let region, let oldHome = claim.movedFrom ?? previous, oldHome != region.name, oldHome != claim.region
    else { return }
    let marker = MoveMarker(user: claim.user, version: claim.version, region: region.name)
    try Self.enqueue(marker.event, for: RelayID.of(domain: region.domain, region: oldHome), db)
  }

  /// On the new home: `region`'s marker came through the old home. What was
  /// held of that region's enters the mailboxes in the order of the messages'
  /// clocks (each origin's own order, however each copy came).
  static func endDrain(_ marker: MoveMarker, _ db: Database) throws -> [Doorbell] {
    let u = marker.user.description
    guard
      let version = try Int64.fetchOne(
        db, sql: "SELECT version FROM move_drains WHERE user_address = ? AND region = ?", arguments: [u, marker.region]),
      try Int64(wire: marker.version, field: "marker version") >= version
    else { return [] }
    try db.execute(
      sql: "DELETE FROM move_drains WHERE user_address = ? AND region = ?", arguments: [u, marker.region])
    var doorbells = [Doorbell]()
    var entry = Relay_V1_MailboxEntry()
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT h.device_id, h.conversation_id, h.seq FROM held_copies h
        JOIN messages m ON m.conversation_id = h.conversation_id AND m.seq = h.seq
        WHERE h.user_address = ? AND h.region = ? ORDER BY m.hlc, h.id
        """,
      arguments: [u, marker.region])
    {
      entry.envelope.conversationID = row[1]
      entry.envelope.seq = UInt64(row[2] as Int64)
      let device = try DeviceAddress.stored(user: u, device: row[0])
      // Read from the mailbox by a live session: the doorbell carries no entry.
      doorbells.append(
        Doorbell(device: device, cursor: try Self.appendToMailbox(db, device: device, entry: entry).cursor))
    }
    try db.execute(
      sql: "DELETE FROM held_copies WHERE user_address = ? AND region = ?", arguments: [u, marker.region])
    return doorbells
  }

  /// Whether `region`'s copies for `user` are held here now.
  static func holds(_ user: UserAddress, from region: String, _ db: Database) throws -> Bool {
    try db.cachedStatement(sql: "SELECT 1 FROM move_drains WHERE user_address = ? AND region = ?")
      .fetchOneRow(arguments: [user.description, region]) != nil
  }

  /// Holds a copy (written already) out of its device's mailbox until `region`'s marker comes.
  static func hold(_ device: DeviceAddress, _ conversation: String, _ seq: Int64, region: String, _ db: Database) throws
  {
    try db.cachedStatement(
      sql: "INSERT INTO held_copies (user_address, region, device_id, conversation_id, seq) VALUES (?, ?, ?, ?, ?)"
    ).execute(arguments: [device.user.description, region, device.deviceID, conversation, seq])
  }
}
