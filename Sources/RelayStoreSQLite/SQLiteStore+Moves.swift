internal import Foundation
internal import GRDB
public import RelayCore
public import Wire

/// Moves between regions, the old home's side (docs/regions.md, "Moving a user").
extension SQLiteStore: MoveStore {
  public func requestMove(
    of user: UserAddress, to target: String, region: LocalRegion, nowMs: Int64
  ) async throws -> UserMove {
    try await self.write("requesting a move") { db in
      let home = try Self.home(of: user, db)
      let plan = try UserMovePlan(
        user: user, target: target, region: region, home: home, hasDevices: !Self.devices(of: user, db).isEmpty,
        draining: try Row.fetchOne(
          db, sql: "SELECT 1 FROM move_drains WHERE user_address = ?", arguments: [user.description]) != nil)
      guard try Self.move(of: user, phase: .requested, db) == nil else {
        throw RelayError(.alreadyExists, "a move of \(user) is pending already")
      }

      let move = plan.move(requestedAtMs: nowMs)
      try Self.record(move, db)
      return move
    }
  }

  public func moves(of user: UserAddress?, limit: Int) async throws -> [UserMove] {
    try await self.read("listing moves") { db in
      let moves = try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM moves WHERE ? IS NULL OR user_address = ?
          ORDER BY requested_at_ms DESC, user_address LIMIT ?
          """,
        arguments: [user?.description, user?.description, limit]
      ).map(Self.move)
      let drains = try Row.fetchAll(db, sql: "SELECT user_address, version, region FROM move_drains ORDER BY region")
      return UserMove.withDrains(moves, drains.map { (user: $0[0], version: $0[1], region: $0[2]) })
    }
  }

  public func pendingMoves() async throws -> [UserMove] {
    try await self.read("listing pending moves") { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM moves WHERE phase = ? ORDER BY requested_at_ms",
        arguments: [UserMove.Phase.requested.rawValue]
      ).map(Self.move)
    }
  }

  public func handOff(
    _ move: UserMove, region: LocalRegion, claimedHLC: UInt64, maxBytes: Int, nowMs: Int64,
    check: @escaping @Sendable (Relay_V1_UserTransfer) throws(RelayError) -> Void
  ) async throws -> UserMove {
    try await self.write("handing a user off") { db in
      guard var current = try Self.move(of: move.user, phase: .requested, db), current.version == move.version
      else { return move }  // handed off (or failed) by another call
      let home = try Self.home(of: move.user, db)
      var transfer: Relay_V1_UserTransfer
      var events: [Relay_V1_FederationEvent]
      do {
        _ = try UserMovePlan(
          user: move.user, target: move.target, region: region, home: home, hasDevices: true, draining: false)
        let (whole, recent) = try Self.transfer(of: move, claimedHLC: claimedHLC, region: region, db)
        transfer = whole
        // What the new home would refuse fails the move here, before anything of the user is deleted.
        events = try whole.handOffEvents(recent: recent, maxBytes: maxBytes, check: check)
      } catch let error as RelayError {
        current.phase = .failed
        current.failure = error.message
        current.doneAtMs = nowMs
        try Self.record(current, db)
        return current
      }
      // One event, or a transfer's parts in a row (docs/regions.md).
      for event in events {
        try Self.enqueue(event, for: RelayID.of(domain: region.domain, region: move.target), db)
      }
      try Self.leave(move.user, claim: transfer.claim, db)
      current.phase = .handedOff
      current.doneAtMs = nowMs
      try Self.record(current, db)
      return current
    }
  }

  /// The old home after the hand-off: the new home recorded; the user's
  /// devices known only as keys (to answer "moved to") and as a remote
  /// user's devices (for this region's senders); nothing else of it kept.
  private static func leave(_ user: UserAddress, claim: Relay_V1_HomeClaim, _ db: Database) throws {
    let devices = try Self.devices(of: user, db)
    try Self.writeHome(
      HomeClaim(user: user, region: claim.region, claimedHLC: claim.claimedHlc, version: claim.version), db)
    try Self.applyRegionDevices(user, devices.map(\.fingerprint), db)
    let u = user.description
    for table in ["one_time_prekeys", "push_endpoints", "mailbox", "link_codes", "devices"] {
      try db.execute(sql: "DELETE FROM \(table) WHERE user_address = ?", arguments: [u])
    }
    try Self.applyDeviceList(
      Relay_V1_FederationEvent.deviceList(of: user, devices.map(\.info)).deviceList, user: user, db)
  }

  static func devices(of user: UserAddress, _ db: Database) throws -> [DeviceRecord] {
    try Row.fetchAll(
      db, sql: "SELECT * FROM devices WHERE user_address = ? ORDER BY device_id", arguments: [user.description]
    ).map(Self.deviceRecord)
  }

  static func move(of user: UserAddress, phase: UserMove.Phase, _ db: Database) throws -> UserMove? {
    try Row.fetchOne(
      db, sql: "SELECT * FROM moves WHERE user_address = ? AND phase = ? ORDER BY version DESC LIMIT 1",
      arguments: [user.description, phase.rawValue]
    ).map(Self.move)
  }

  static func record(_ move: UserMove, _ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO moves (user_address, version, source, target, phase, requested_at_ms, done_at_ms, failure)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (user_address, version) DO UPDATE SET
          source = excluded.source, target = excluded.target, phase = excluded.phase,
          requested_at_ms = excluded.requested_at_ms, done_at_ms = excluded.done_at_ms, failure = excluded.failure
        """,
      arguments: [
        move.user.description, try Int64(wire: move.version, field: "home version"), move.source, move.target,
        move.phase.rawValue,
        move.requestedAtMs, move.doneAtMs, move.failure,
      ])
  }

  private static func move(_ row: Row) throws -> UserMove {
    UserMove(
      user: try UserAddress(parsing: row["user_address"]), version: UInt64(row["version"] as Int64),
      source: row["source"], target: row["target"],
      phase: UserMove.Phase(rawValue: row["phase"]) ?? .failed, requestedAtMs: row["requested_at_ms"],
      doneAtMs: row["done_at_ms"], failure: row["failure"])
  }
}
