internal import Foundation
internal import PostgresNIO
public import RelayCore
internal import Wire

/// Regions (docs/regions.md): what a region sends the others of the whole
/// directory, once per region, and the claims of users registered before
/// this relay became a region.
extension PostgresStore {
  public func syncDirectory(region: LocalRegion, siblings: [String], nowMs: Int64) async throws -> Int {
    try await self.transaction("sending the directory to other regions") { db in
      // One node of the region at a time.
      try await db.run("LOCK TABLE region_syncs IN EXCLUSIVE MODE")
      let unclaimed = try await db.rows(
        """
        SELECT d.user_address, min(d.registered_at_ms) FROM devices d
        WHERE NOT EXISTS (SELECT 1 FROM homes h WHERE h.user_address = d.user_address)
        GROUP BY d.user_address
        """
      ).map { row in
        let (user, registeredAt) = try row.decode((String, Int64).self)
        return HomeClaim(
          user: try UserAddress(parsing: user), region: region.name,
          claimedHLC: HybridLogicalClock.State.physical(registeredAt), version: 1)
      }
      for claim in unclaimed { _ = try await Self.applyHome(claim, db) }
      for sibling in siblings {
        let synced = try await !db.rows("SELECT 1 FROM region_syncs WHERE peer = \(sibling)").isEmpty
        let claims =
          synced
          ? unclaimed
          : try await db.rows(
            "SELECT user_address, claimed_hlc, version FROM homes WHERE region = \(region.name) ORDER BY user_address"
          ).map { row in
            let (user, hlc, version) = try row.decode((String, Int64, Int64).self)
            return HomeClaim(
              user: try UserAddress(parsing: user), region: region.name, claimedHLC: UInt64(bitPattern: hlc),
              version: UInt64(bitPattern: version))
          }
        for claim in claims {
          try await Self.enqueue(claim.event, for: sibling, db)
          try await Self.announceRegionDevices(of: claim.user, to: [sibling], db)
        }
        try await db.run(
          "INSERT INTO region_syncs (peer, synced_at_ms) VALUES (\(sibling), \(nowMs)) ON CONFLICT DO NOTHING")
      }
      return unclaimed.count
    }
  }
}
