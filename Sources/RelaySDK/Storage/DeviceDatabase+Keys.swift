internal import Crypto
internal import E2E
internal import Foundation
internal import GRDB

extension DeviceDatabase {
  /// Stores a new device with its first prekeys (before it registers).
  func create(_ device: LocalDevice, lastResortKem: KemPrekeyPair, prekeys: PrekeyBatch) throws(ClientError) {
    try self.write("the new device") { db in
      guard try Int.fetchOne(db, sql: "SELECT count(*) FROM device") == 0 else {
        throw ClientError(.alreadyRegistered, "this home directory already holds a device")
      }
      try db.execute(
        sql: """
          INSERT INTO device (id, user, device_id, certificate_pem, private_key_pem, relay_host, relay_port,
            relay_certificate_pem, identity_signing, identity_agreement, signed_prekey_id, signed_prekey,
            signed_prekey_signature, last_resort_kem_id, next_prekey_id)
          VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          device.user, device.deviceID, device.certificatePEM, device.privateKeyPEM, device.relay.host,
          device.relay.port, device.relay.certificatePEM, device.identity.signing.rawRepresentation,
          device.identity.agreement.rawRepresentation, device.signedPrekey.id,
          device.signedPrekey.privateKey.rawRepresentation, device.signedPrekey.signature, device.lastResortKemID,
          prekeys.nextID,
        ])
      try Self.insert(kem: lastResortKem, lastResort: true, db)
      try Self.insert(prekeys, db)
    }
  }

  func device() throws(ClientError) -> LocalDevice {
    try self.read("the device") { db in
      guard let row = try Row.fetchOne(db, sql: "SELECT * FROM device") else {
        throw ClientError(.notRegistered, "no device in this home directory; run `register` first")
      }
      let identity = try IdentityKeyPair(signing: row["identity_signing"], agreement: row["identity_agreement"])
      return LocalDevice(
        user: row["user"], deviceID: row["device_id"], certificatePEM: row["certificate_pem"],
        privateKeyPEM: row["private_key_pem"],
        relay: RelayEndpoint(
          host: row["relay_host"], port: row["relay_port"], certificatePEM: row["relay_certificate_pem"]),
        identity: identity,
        signedPrekey: try SignedPrekeyPair(
          id: row["signed_prekey_id"], privateKey: row["signed_prekey"], signature: row["signed_prekey_signature"]),
        lastResortKemID: row["last_resort_kem_id"], nextPrekeyID: row["next_prekey_id"],
        registered: row["registered"], cursor: UInt64(row["cursor"] as Int64))
    }
  }

  /// Another relay for this device: its home region after a redirect (``RelayDevice/follow(_:home:)``).
  func setRelay(_ relay: RelayEndpoint) throws(ClientError) {
    try self.write("the relay") { db in
      try db.execute(
        sql: "UPDATE device SET relay_host = ?, relay_port = ?, relay_certificate_pem = ?",
        arguments: [relay.host, relay.port, relay.certificatePEM])
    }
  }

  func markRegistered() throws(ClientError) {
    try self.write("the registration") { db in try db.execute(sql: "UPDATE device SET registered = 1") }
  }

  /// Keeps prekeys about to be published, and the next free id.
  func add(_ prekeys: PrekeyBatch) throws(ClientError) {
    try self.write("new prekeys") { db in
      try Self.insert(prekeys, db)
      try db.execute(sql: "UPDATE device SET next_prekey_id = ?", arguments: [prekeys.nextID])
    }
  }

  private static func insert(_ prekeys: PrekeyBatch, _ db: Database) throws {
    for key in prekeys.oneTime {
      try db.execute(
        sql: "INSERT INTO one_time_prekeys (id, private_key) VALUES (?, ?)",
        arguments: [key.id, key.privateKey.rawRepresentation])
    }
    for key in prekeys.kem { try insert(kem: key, lastResort: false, db) }
  }

  private static func insert(kem: KemPrekeyPair, lastResort: Bool, _ db: Database) throws {
    try db.execute(
      sql: "INSERT INTO kem_prekeys (id, seed, signature, last_resort) VALUES (?, ?, ?, ?)",
      arguments: [kem.id, kem.seed, kem.signature, lastResort])
  }
}

/// The private prekeys, read inside a database transaction, for PQXDH's responder.
struct DatabasePrekeys: PrekeySource {
  let db: Database

  func signedPrekey(id: UInt32) throws -> SignedPrekeyPair? {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT signed_prekey, signed_prekey_signature FROM device WHERE signed_prekey_id = ?", arguments: [id]
      )
    else { return nil }
    return try SignedPrekeyPair(id: id, privateKey: row[0], signature: row[1])
  }

  func oneTimePrekey(id: UInt32) throws -> OneTimePrekeyPair? {
    try Data.fetchOne(db, sql: "SELECT private_key FROM one_time_prekeys WHERE id = ?", arguments: [id])
      .map { try OneTimePrekeyPair(id: id, privateKey: $0) }
  }

  func kemPrekey(id: UInt32) throws -> KemPrekeyPair? {
    guard let row = try Row.fetchOne(db, sql: "SELECT seed, signature FROM kem_prekeys WHERE id = ?", arguments: [id])
    else { return nil }
    return try KemPrekeyPair(id: id, seed: row[0], signature: row[1])
  }

  /// Erases what a new session used; the last-resort KEM prekey stays.
  func erase(_ opened: PeerSessions.Opened) throws {
    if let id = opened.usedOneTimePrekeyID {
      try db.execute(sql: "DELETE FROM one_time_prekeys WHERE id = ?", arguments: [id])
    }
    if let id = opened.usedKemPrekeyID {
      try db.execute(sql: "DELETE FROM kem_prekeys WHERE id = ? AND last_resort = 0", arguments: [id])
    }
  }
}
