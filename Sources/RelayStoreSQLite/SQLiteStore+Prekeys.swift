internal import Foundation
internal import GRDB
internal import RelayCore
internal import TLSIdentity
internal import Wire

extension SQLiteStore {
  static let ecKind = 0
  static let kemKind = 1

  static func insertOneTimePrekeys(
    _ db: Database, device: DeviceAddress, ec: [Relay_V1_OneTimePrekey], kem: [Relay_V1_KemPrekey]
  ) throws {
    let sql = """
      INSERT INTO one_time_prekeys (user_address, device_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature
      """
    let statement = try db.cachedStatement(sql: sql)
    for key in ec {
      try statement.execute(arguments: [
        device.user.description, device.deviceID, ecKind, key.keyID, key.publicKey, nil,
      ])
    }
    for key in kem {
      try statement.execute(
        arguments: [device.user.description, device.deviceID, kemKind, key.keyID, key.publicKey, key.signature])
    }
  }

  static func prekeyCounts(_ db: Database, device: DeviceAddress) throws -> PrekeyCounts {
    let rows = try Row.fetchAll(
      db,
      sql: "SELECT kind, COUNT(*) AS n FROM one_time_prekeys WHERE user_address = ? AND device_id = ? GROUP BY kind",
      arguments: [device.user.description, device.deviceID])
    var counts = PrekeyCounts(oneTime: 0, oneTimeKem: 0)
    for row in rows {
      if row["kind"] == ecKind { counts.oneTime = row["n"] } else { counts.oneTimeKem = row["n"] }
    }
    return counts
  }

  /// Builds one device's bundle, taking (deleting) one prekey of each kind.
  static func claimBundle(_ db: Database, row: Row) throws -> Relay_V1_PrekeyBundle {
    let user: String = row["user_address"]
    let deviceID: String = row["device_id"]
    var bundle = Relay_V1_PrekeyBundle()
    bundle.device = "\(user)/\(deviceID)"
    bundle.identityKey = Self.identityKey(row)
    bundle.signedPrekey.keyID = row["signed_prekey_id"]
    bundle.signedPrekey.publicKey = row["signed_prekey"]
    bundle.signedPrekey.signature = row["signed_prekey_sig"]

    let take = """
      DELETE FROM one_time_prekeys WHERE (user_address, device_id, kind, key_id) = (
        SELECT user_address, device_id, kind, key_id FROM one_time_prekeys
        WHERE user_address = ? AND device_id = ? AND kind = ? ORDER BY key_id LIMIT 1)
      RETURNING key_id, public_key, signature
      """
    if let ec = try Row.fetchOne(db, sql: take, arguments: [user, deviceID, ecKind]) {
      bundle.oneTimePrekey.keyID = ec["key_id"]
      bundle.oneTimePrekey.publicKey = ec["public_key"]
    } else {
      bundle.oneTimePrekeysExhausted = true
    }
    if let kem = try Row.fetchOne(db, sql: take, arguments: [user, deviceID, kemKind]) {
      bundle.kemPrekey.keyID = kem["key_id"]
      bundle.kemPrekey.publicKey = kem["public_key"]
      bundle.kemPrekey.signature = kem["signature"]
    } else {
      bundle.kemPrekey.keyID = row["kem_last_resort_id"]
      bundle.kemPrekey.publicKey = row["kem_last_resort"]
      bundle.kemPrekey.signature = row["kem_last_resort_sig"]
      bundle.kemPrekeyIsLastResort = true
    }
    return bundle
  }

  static func identityKey(_ row: Row) -> Relay_V1_IdentityKey {
    var key = Relay_V1_IdentityKey()
    key.signingKey = row["identity_signing"]
    key.agreementKey = row["identity_agreement"]
    return key
  }

  static func deviceRecord(_ row: Row) throws -> DeviceRecord {
    DeviceRecord(
      address: try DeviceAddress.stored(user: row["user_address"], device: row["device_id"]),
      fingerprint: Fingerprint(bytes: Array(row["fingerprint"] as Data)),
      registeredAtMs: row["registered_at_ms"],
      identityKey: Self.identityKey(row)
    )
  }
}
