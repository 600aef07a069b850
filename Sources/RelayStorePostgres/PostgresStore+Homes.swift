internal import Foundation
internal import PostgresNIO
public import RelayCore
public import TLSIdentity
public import Wire

/// The directory of homes of a domain with several regions (docs/regions.md).
extension PostgresStore {
  public func home(of user: UserAddress) async throws -> HomeClaim? {
    try await self.read("looking up a home") { db in try await Self.home(of: user, lock: false, db) }
  }

  static func home(of user: UserAddress, lock: Bool, _ db: PostgresConnection) async throws -> HomeClaim? {
    let rows = try await db.rows(
      "SELECT region, claimed_hlc, version FROM homes WHERE user_address = \(user.description) \(unescaped: lock ? "FOR UPDATE" : "")"
    )
    return try rows.first.map { row in
      let (region, hlc, version) = try row.decode((String, Int64, Int64).self)
      return HomeClaim(
        user: user, region: region, claimedHLC: UInt64(bitPattern: hlc), version: UInt64(bitPattern: version))
    }
  }

  /// Where each of `users` lives, for a transaction of this relay (``RelayMap``):
  /// on a region, the homes of the users of its domain are read from the directory.
  static func relays(
    _ region: LocalRegion?, for users: some Sequence<UserAddress>, _ db: PostgresConnection
  ) async throws -> RelayMap {
    var relays = RelayMap(local: region)
    let needed = relays.needsHomes(users)
    guard !needed.isEmpty else { return relays }
    let rows = try await db.rows(
      "SELECT user_address, region FROM homes WHERE user_address = ANY(\(needed.map(\.description)))")
    for row in rows {
      let (user, region) = try row.decode((String, String).self)
      relays.homes[try UserAddress(parsing: user)] = region
    }
    return relays
  }

  /// On an event from another region of this domain: `user` must be homed
  /// there (``FederationRules/checkHomed(_:in:home:)``); nothing to read from a peer of another domain.
  static func checkHomed(_ user: UserAddress, in peer: String, _ db: PostgresConnection) async throws {
    guard RelayID.region(of: peer) != nil else { return }
    try FederationRules.checkHomed(user, in: peer, home: await Self.home(of: user, lock: false, db))
  }

  /// A registration's claim, in its transaction: written and queued for the
  /// other regions when the user has no home yet; refused when it has another.
  static func claimHome(_ home: HomeRegistration, _ db: PostgresConnection) async throws {
    guard try await Self.insertHome(home.claim, db) else {
      // The row exists (or a concurrent claim just committed it): decide on what is there.
      _ = try home.claims(over: try await Self.home(of: home.claim.user, lock: true, db))
      return
    }
    let event = home.claim.event
    for sibling in home.siblings { try await Self.enqueue(event, for: sibling, db) }
  }

  /// Another region's claim: kept when it wins over the recorded one.
  /// True when the user's home region changed.
  static func applyHome(_ claim: HomeClaim, _ db: PostgresConnection) async throws -> Bool {
    if try await Self.insertHome(claim, db) { return false }
    let current = try await Self.home(of: claim.user, lock: true, db)
    guard claim.replaces(current) else { return false }
    try await db.run(
      """
      UPDATE homes SET region = \(claim.region), claimed_hlc = \(Int64(bitPattern: claim.claimedHLC)),
        version = \(Int64(bitPattern: claim.version))
      WHERE user_address = \(claim.user.description)
      """)
    return current.map { $0.region != claim.region } ?? false
  }

  /// Inserts the claim when the user has no row; false when it has one.
  private static func insertHome(_ claim: HomeClaim, _ db: PostgresConnection) async throws -> Bool {
    try await !db.rows(
      """
      INSERT INTO homes (user_address, region, claimed_hlc, version)
      VALUES (\(claim.user.description), \(claim.region), \(Int64(bitPattern: claim.claimedHLC)), \(Int64(bitPattern: claim.version)))
      ON CONFLICT (user_address) DO NOTHING RETURNING 1
      """
    ).isEmpty
  }

  public func regionDevice(fingerprint: Fingerprint) async throws -> UserAddress? {
    try await self.read("looking up a device of another region") { db in
      try await db.rows(
        "SELECT user_address FROM region_devices WHERE fingerprint = \(Data(fingerprint.bytes))"
      ).first.map { try UserAddress(parsing: try $0.decode(String.self)) }
    }
  }

  /// After a registration here: the keys of every device of `user`, for the other regions.
  static func announceRegionDevices(of user: UserAddress, to siblings: [String], _ db: PostgresConnection) async throws
  {
    guard !siblings.isEmpty else { return }
    let keys = try await db.rows(
      "SELECT fingerprint FROM devices WHERE user_address = \(user.description) ORDER BY device_id"
    ).map { Fingerprint(bytes: Array(try $0.decode(Data.self))) }
    let event = Relay_V1_FederationEvent.regionDevices(of: user, keys)
    for sibling in siblings { try await Self.enqueue(event, for: sibling, db) }
  }

  /// Another region's device keys for a user homed there: replace what was known.
  static func applyRegionDevices(
    _ user: UserAddress, _ fingerprints: [Fingerprint], _ db: PostgresConnection
  )
    async throws
  {
    try await db.run("DELETE FROM region_devices WHERE user_address = \(user.description)")
    guard !fingerprints.isEmpty else { return }
    try await db.run(
      """
      INSERT INTO region_devices (fingerprint, user_address)
      SELECT f, \(user.description) FROM unnest(\(fingerprints.map { ByteBuffer(bytes: $0.bytes) })::bytea[]) AS f
      ON CONFLICT (fingerprint) DO UPDATE SET user_address = excluded.user_address
      """)
  }
}
