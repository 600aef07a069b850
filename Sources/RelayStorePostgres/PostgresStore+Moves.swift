internal import Foundation
internal import PostgresNIO
public import RelayCore
public import Wire

/// Moves between regions, the old home's side (docs/regions.md, "Moving a user").
extension PostgresStore: MoveStore {
  public func requestMove(
    of user: UserAddress, to target: String, region: LocalRegion, nowMs: Int64
  ) async throws -> UserMove {
    try await self.transaction("requesting a move") { db in
      let home = try await Self.home(of: user, lock: true, db)
      let devices = try await Self.lockedDevices(of: user, db)
      let draining = try await !db.rows(
        "SELECT 1 FROM move_drains WHERE user_address = \(user.description) LIMIT 1"
      ).isEmpty
      let plan = try UserMovePlan(
        user: user, target: target, region: region, home: home, hasDevices: !devices.isEmpty, draining: draining)
      guard try await Self.move(of: user, phase: .requested, db) == nil else {
        throw RelayError(.alreadyExists, "a move of \(user) is pending already")
      }
      let move = plan.move(requestedAtMs: nowMs)
      try await Self.record(move, db)
      return move
    }
  }

  public func moves(of user: UserAddress?, limit: Int) async throws -> [UserMove] {
    try await self.read("listing moves") { db in
      let moves = try await db.rows(
        """
        SELECT \(unescaped: Self.moveColumns) FROM moves
        WHERE \(user?.description)::text IS NULL OR user_address = \(user?.description)
        ORDER BY requested_at_ms DESC, user_address LIMIT \(Int64(limit))
        """
      ).map(Self.move)
      let drains = try await db.rows("SELECT user_address, version, region FROM move_drains ORDER BY region").map {
        let (user, version, region) = try $0.decode((String, Int64, String).self)
        return (user: user, version: version, region: region)
      }
      return UserMove.withDrains(moves, drains)
    }
  }

  public func pendingMoves() async throws -> [UserMove] {
    try await self.read("listing pending moves") { db in
      try await db.rows(
        """
        SELECT \(unescaped: Self.moveColumns) FROM moves WHERE phase = \(Int32(UserMove.Phase.requested.rawValue))
        ORDER BY requested_at_ms
        """
      ).map(Self.move)
    }
  }

  public func handOff(
    _ move: UserMove, region: LocalRegion, claimedHLC: UInt64, maxBytes: Int, nowMs: Int64,
    check: @escaping @Sendable (Relay_V1_UserTransfer) throws(RelayError) -> Void
  ) async throws -> UserMove {
    try await self.transaction("handing a user off") { db in
      // The user's home and devices locked first: a send to it commits before the hand-off or sees it.
      let home = try await Self.home(of: move.user, lock: true, db)
      let devices = try await Self.lockedDevices(of: move.user, db)
      guard var current = try await Self.move(of: move.user, phase: .requested, db), current.version == move.version
      else { return move }  // handed off (or failed) by another node
      var events: [Relay_V1_FederationEvent]
      do {
        _ = try UserMovePlan(
          user: move.user, target: move.target, region: region, home: home, hasDevices: !devices.isEmpty,
          draining: false)
        let (whole, recent) = try await Self.transfer(of: move, claimedHLC: claimedHLC, region: region, db)
        // What the new home would refuse fails the move here, before anything of the user is deleted.
        events = try whole.handOffEvents(recent: recent, maxBytes: maxBytes, check: check)
      } catch let error as RelayError {
        current.phase = .failed
        current.failure = error.message
        current.doneAtMs = nowMs
        try await Self.record(current, db)
        return current
      }
      // One event, or a transfer's parts in a row (docs/regions.md).
      for event in events {
        try await Self.enqueue(event, for: RelayID.of(domain: region.domain, region: move.target), db)
      }
      let claim = HomeClaim(
        user: move.user, region: move.target, claimedHLC: claimedHLC, version: move.version)
      _ = try await Self.applyHome(claim, db)
      try await Self.applyRegionDevices(move.user, devices.map(\.fingerprint), db)
      let u = move.user.description
      for table in ["one_time_prekeys", "push_endpoints", "mailbox", "link_codes", "devices"] {
        try await db.run("DELETE FROM \(unescaped: table) WHERE user_address = \(u)")
      }
      try await Self.applyDeviceList(
        Relay_V1_FederationEvent.deviceList(of: move.user, devices.map(\.info)).deviceList, user: move.user, db)
      current.phase = .handedOff
      current.doneAtMs = nowMs
      try await Self.record(current, db)
      return current
    }
  }

  static func lockedDevices(of user: UserAddress, _ db: PostgresConnection) async throws -> [DeviceRecord] {
    try await db.rows(
      """
      SELECT \(unescaped: Self.deviceColumns) FROM devices WHERE user_address = \(user.description)
      ORDER BY device_id FOR UPDATE
      """
    ).map(Self.deviceRecord)
  }

  static func move(of user: UserAddress, phase: UserMove.Phase, _ db: PostgresConnection) async throws -> UserMove? {
    try await db.rows(
      """
      SELECT \(unescaped: Self.moveColumns) FROM moves
      WHERE user_address = \(user.description) AND phase = \(Int32(phase.rawValue))
      ORDER BY version DESC LIMIT 1
      """
    ).first.map(Self.move)
  }

  static func record(_ move: UserMove, _ db: PostgresConnection) async throws {
    try await db.run(
      """
      INSERT INTO moves (user_address, version, source, target, phase, requested_at_ms, done_at_ms, failure)
      VALUES (\(move.user.description), \(try Int64(wire: move.version, field: "home version")), \(move.source), \(move.target),
        \(Int32(move.phase.rawValue)), \(move.requestedAtMs), \(move.doneAtMs), \(move.failure))
      ON CONFLICT (user_address, version) DO UPDATE SET
        source = excluded.source, target = excluded.target, phase = excluded.phase,
        requested_at_ms = excluded.requested_at_ms, done_at_ms = excluded.done_at_ms, failure = excluded.failure
      """)
  }

  static let moveColumns = "user_address, version, source, target, phase, requested_at_ms, done_at_ms, failure"

  private static func move(_ row: PostgresRow) throws -> UserMove {
    let (user, version, source, target, phase, requested, done, failure) = try row.decode(
      (String, Int64, String, String, Int32, Int64, Int64, String).self)
    return UserMove(
      user: try UserAddress(parsing: user), version: UInt64(version), source: source, target: target,
      phase: UserMove.Phase(rawValue: Int(phase)) ?? .failed, requestedAtMs: requested, doneAtMs: done,
      failure: failure)
  }
}
