internal import Foundation
internal import GRDB
public import RelayCore
public import TLSIdentity
public import Wire

/// The directory of homes of a domain with several regions (docs/regions.md).
extension SQLiteStore {
  public func home(of user: UserAddress) async throws -> HomeClaim? {
    try await self.read("looking up a home") { db in try Self.home(of: user, db) }
  }

  static func home(of user: UserAddress, _ db: Database) throws -> HomeClaim? {
    try Row.fetchOne(
      db, sql: "SELECT region, claimed_hlc, version FROM homes WHERE user_address = ?", arguments: [user.description]
    ).map { row in
      HomeClaim(
        user: user, region: row[0], claimedHLC: UInt64(bitPattern: row[1]), version: UInt64(bitPattern: row[2]))
    }
  }

  /// Where each of `users` lives, for a transaction of this relay (``RelayMap``):
  /// on a region, the homes of the users of its domain are read from the directory.
  static func relays(_ region: LocalRegion?, for users: some Sequence<UserAddress>, _ db: Database) throws -> RelayMap {
    var relays = RelayMap(local: region)
    for user in relays.needsHomes(users) {
      let statement = try db.cachedStatement(sql: "SELECT region FROM homes WHERE user_address = ?")
      if let home = try String.fetchOne(statement, arguments: [user.description]) { relays.homes[user] = home }
    }
    return relays
  }

  /// On an event from another region of this domain: `user` must be homed
  /// there (``FederationRules/checkHomed(_:in:home:)``); nothing to read from a peer of another domain.
  static func checkHomed(_ user: UserAddress, in peer: String, _ db: Database) throws {
    guard RelayID.region(of: peer) != nil else { return }
    try FederationRules.checkHomed(user, in: peer, home: Self.home(of: user, db))
  }

  /// A registration's claim, in its transaction: written and queued for the
  /// other regions when the user has no home yet; refused when it has another.
  static func claimHome(_ home: HomeRegistration, _ db: Database) throws {
    guard try home.claims(over: Self.home(of: home.claim.user, db)) else { return }
    try Self.writeHome(home.claim, db)
    let event = home.claim.event
    for sibling in home.siblings { try Self.enqueue(event, for: sibling, db) }
  }

  /// Another region's claim: kept when it wins over the recorded one.
  /// True when the user's home region changed.
  static func applyHome(_ claim: HomeClaim, _ db: Database) throws -> Bool {
    let current = try Self.home(of: claim.user, db)
    guard claim.replaces(current) else { return false }
    try Self.writeHome(claim, db)
    return current.map { $0.region != claim.region } ?? false
  }

  static func writeHome(_ claim: HomeClaim, _ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO homes (user_address, region, claimed_hlc, version) VALUES (?, ?, ?, ?)
        ON CONFLICT (user_address) DO UPDATE SET
          region = excluded.region, claimed_hlc = excluded.claimed_hlc, version = excluded.version
        """,
      arguments: [
        claim.user.description, claim.region, Int64(bitPattern: claim.claimedHLC), Int64(bitPattern: claim.version),
      ])
  }

  public func regionDevice(fingerprint: Fingerprint) async throws -> UserAddress? {
    try await self.read("looking up a device of another region") { db in
      try String.fetchOne(
        db, sql: "SELECT user_address FROM region_devices WHERE fingerprint = ?", arguments: [Data(fingerprint.bytes)]
      ).map { try UserAddress(parsing: $0) }
    }
  }

  /// After a registration here: the keys of every device of `user`, for the other regions.
  static func announceRegionDevices(of user: UserAddress, to siblings: [String], _ db: Database) throws {
    guard !siblings.isEmpty else { return }
    let keys = try Data.fetchAll(
      db, sql: "SELECT fingerprint FROM devices WHERE user_address = ? ORDER BY device_id",
      arguments: [user.description])
    let event = Relay_V1_FederationEvent.regionDevices(of: user, keys.map { Fingerprint(bytes: Array($0)) })
    for sibling in siblings { try Self.enqueue(event, for: sibling, db) }
  }

  /// Another region's device keys for a user homed there: replace what was known.
  static func applyRegionDevices(_ user: UserAddress, _ fingerprints: [Fingerprint], _ db: Database) throws {
    try db.execute(sql: "DELETE FROM region_devices WHERE user_address = ?", arguments: [user.description])
    for fingerprint in fingerprints {
      try db.execute(
        sql: """
          INSERT INTO region_devices (fingerprint, user_address) VALUES (?, ?)
          ON CONFLICT (fingerprint) DO UPDATE SET user_address = excluded.user_address
          """,
        arguments: [Data(fingerprint.bytes), user.description])
    }
  }
}
