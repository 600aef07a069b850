internal import Foundation
internal import GRDB
public import RelayCore
internal import Wire

/// Regions (docs/regions.md): what a region sends the others of the whole
/// directory, once per region, and the claims of users registered before
/// this relay became a region.
extension SQLiteStore {
  public func syncDirectory(region: LocalRegion, siblings: [String], nowMs: Int64) async throws -> Int {
    try await self.write("sending the directory to other regions") { db in
      let unclaimed = try Row.fetchAll(
        db,
        sql: """
          SELECT d.user_address, min(d.registered_at_ms) FROM devices d
          WHERE NOT EXISTS (SELECT 1 FROM homes h WHERE h.user_address = d.user_address)
          GROUP BY d.user_address
          """
      ).map { row in
        HomeClaim(
          user: try UserAddress(parsing: row[0]), region: region.name,
          claimedHLC: HybridLogicalClock.State.physical(row[1]), version: 1)
      }
      for claim in unclaimed { _ = try Self.applyHome(claim, db) }
      for sibling in siblings {
        let synced = try Bool.fetchOne(db, sql: "SELECT 1 FROM region_syncs WHERE peer = ?", arguments: [sibling])
        let claims =
          synced != nil
          ? unclaimed
          : try Row.fetchAll(
            db, sql: "SELECT user_address, claimed_hlc, version FROM homes WHERE region = ? ORDER BY user_address",
            arguments: [region.name]
          ).map { row in
            HomeClaim(
              user: try UserAddress(parsing: row[0]), region: region.name,
              claimedHLC: UInt64(bitPattern: row[1]), version: UInt64(bitPattern: row[2]))
          }
        for claim in claims {
          try Self.enqueue(claim.event, for: sibling, db)
          try Self.announceRegionDevices(of: claim.user, to: [sibling], db)
        }
        try db.execute(
          sql: "INSERT INTO region_syncs (peer, synced_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
          arguments: [sibling, nowMs])
      }
      return unclaimed.count
    }
  }
}
