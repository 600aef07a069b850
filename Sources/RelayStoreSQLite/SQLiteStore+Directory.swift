internal import Foundation
internal import GRDB
public import RelayCore
public import TLSIdentity
public import Wire

extension SQLiteStore {
  public func createInvites(_ codes: [String], nowMs: Int64) async throws {
    try await self.write("creating invites") { db in
      for code in codes {
        try db.execute(sql: "INSERT INTO invites (code, created_at_ms) VALUES (?, ?)", arguments: [code, nowMs])
      }
    }
  }

  public func register(_ r: Registration, nowMs: Int64) async throws -> DeviceRecord {
    try await self.write("registering a device") { db in
      let user = r.device.user.description
      if try Bool.fetchOne(
        db, sql: "SELECT 1 FROM devices WHERE fingerprint = ?", arguments: [Data(r.fingerprint.bytes)]) != nil
      {
        throw RelayError(.alreadyExists, "this certificate's key is already registered")
      }
      if let home = r.home { try Self.claimHome(home, db) }
      let userExists = try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE address = ?", arguments: [user]) != nil
      if userExists {
        let taken = try Bool.fetchOne(
          db, sql: "SELECT 1 FROM devices WHERE user_address = ? AND device_id = ?",
          arguments: [user, r.device.deviceID])
        if taken != nil { throw RelayError(.alreadyExists, "this user already has a device with that id") }
        let count =
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM devices WHERE user_address = ?", arguments: [user]) ?? 0
        if count >= r.maxDevicesPerUser {
          throw RelayError(.resourceExhausted, "a user may have at most \(r.maxDevicesPerUser) devices")
        }
        guard let code = r.linkCode, !code.isEmpty else {
          throw RelayError(
            .permissionDenied, "this user exists: adding a device needs a link code from one of its devices")
        }
        try db.execute(
          sql: "DELETE FROM link_codes WHERE code = ? AND user_address = ? AND expires_at_ms > ?",
          arguments: [code, user, nowMs])
        if db.changesCount == 0 {
          throw RelayError(.permissionDenied, "the link code is unknown, expired or for another user")
        }
      } else {
        if r.policy == .invite {
          guard let code = r.inviteCode, !code.isEmpty else {
            throw RelayError(
              .permissionDenied, "this relay registers new users by invite only: an invite code is required")
          }
          try db.execute(
            sql: "UPDATE invites SET used_by = ? WHERE code = ? AND used_by IS NULL", arguments: [user, code])
          if db.changesCount == 0 { throw RelayError(.permissionDenied, "the invite code is unknown or already used") }
        }
        try db.execute(sql: "INSERT INTO users (address, created_at_ms) VALUES (?, ?)", arguments: [user, nowMs])
      }
      try db.execute(
        sql: """
          INSERT INTO devices (user_address, device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement,
            signed_prekey_id, signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort, kem_last_resort_sig)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          user, r.device.deviceID, Data(r.fingerprint.bytes), nowMs,
          r.identityKey.signingKey, r.identityKey.agreementKey,
          r.signedPrekey.keyID, r.signedPrekey.publicKey, r.signedPrekey.signature,
          r.lastResortKemPrekey.keyID, r.lastResortKemPrekey.publicKey, r.lastResortKemPrekey.signature,
        ])
      try Self.insertOneTimePrekeys(db, device: r.device, ec: r.oneTimePrekeys, kem: r.oneTimeKemPrekeys)
      if userExists { try Self.announceDevices(of: r.device.user, region: self.region, db) }
      if let home = r.home { try Self.announceRegionDevices(of: r.device.user, to: home.siblings, db) }
      return DeviceRecord(
        address: r.device, fingerprint: r.fingerprint, registeredAtMs: nowMs, identityKey: r.identityKey)
    }
  }

  public func createLinkCode(_ code: String, for user: UserAddress, expiresAtMs: Int64) async throws {
    try await self.write("creating a link code") { db in
      try db.execute(
        sql: "INSERT INTO link_codes (code, user_address, expires_at_ms) VALUES (?, ?, ?)",
        arguments: [code, user.description, expiresAtMs])
    }
  }

  public func device(fingerprint: Fingerprint) async throws -> DeviceRecord? {
    try await self.read("looking up a device") { db in
      try Row.fetchOne(
        db, sql: "SELECT * FROM devices WHERE fingerprint = ?", arguments: [Data(fingerprint.bytes)]
      ).map(Self.deviceRecord)
    }
  }

  public func devices(of user: UserAddress) async throws -> [DeviceRecord] {
    try await self.read("listing devices") { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM devices WHERE user_address = ? ORDER BY device_id", arguments: [user.description]
      ).map(Self.deviceRecord)
    }
  }

  public func uploadPrekeys(_ upload: PrekeyUpload, for device: DeviceAddress) async throws -> PrekeyCounts {
    try await self.write("uploading prekeys") { db in
      let counts = try Self.prekeyCounts(db, device: device)
      if counts.oneTime + upload.oneTimePrekeys.count > upload.maxStored
        || counts.oneTimeKem + upload.oneTimeKemPrekeys.count > upload.maxStored
      {
        throw RelayError(
          .resourceExhausted, "a device may hold at most \(upload.maxStored) one-time prekeys of each kind")
      }
      try Self.insertOneTimePrekeys(db, device: device, ec: upload.oneTimePrekeys, kem: upload.oneTimeKemPrekeys)
      let key: [any DatabaseValueConvertible] = [device.user.description, device.deviceID]
      if let spk = upload.signedPrekey {
        try db.execute(
          sql:
            "UPDATE devices SET signed_prekey_id = ?, signed_prekey = ?, signed_prekey_sig = ? WHERE user_address = ? AND device_id = ?",
          arguments: StatementArguments([spk.keyID, spk.publicKey, spk.signature] + key))
      }
      if let kem = upload.lastResortKemPrekey {
        try db.execute(
          sql:
            "UPDATE devices SET kem_last_resort_id = ?, kem_last_resort = ?, kem_last_resort_sig = ? WHERE user_address = ? AND device_id = ?",
          arguments: StatementArguments([kem.keyID, kem.publicKey, kem.signature] + key))
      }
      return try Self.prekeyCounts(db, device: device)
    }
  }

  public func claimPrekeyBundles(user: UserAddress, deviceID: String?) async throws -> [Relay_V1_PrekeyBundle] {
    try await self.write("claiming prekeys") { db in
      var sql = "SELECT * FROM devices WHERE user_address = ?"
      var arguments: StatementArguments = [user.description]
      if let deviceID {
        sql += " AND device_id = ?"
        arguments += [deviceID]
      }
      let rows = try Row.fetchAll(db, sql: sql + " ORDER BY device_id", arguments: arguments)
      if rows.isEmpty {
        throw RelayError(.notFound, deviceID == nil ? "no such user on this relay" : "no such device on this relay")
      }
      return try rows.map { row in try Self.claimBundle(db, row: row) }
    }
  }
}
