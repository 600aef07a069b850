internal import Foundation
internal import PostgresNIO
public import RelayCore
public import TLSIdentity
public import Wire

extension PostgresStore {
  /// Applies the schema migrations that are missing, waiting up to `wait`
  /// (at least ``leaseTimeout``) for a connection: a node that starts with its
  /// region, or on a loaded machine, may find PostgreSQL slow to answer at first.
  public func migrate(waitingUpTo wait: Duration) async throws -> [String] {
    try await self.read("migrating the schema", waitingUpTo: max(wait, self.leaseTimeout)) { connection in
      try await PostgresMigrations.apply(connection, logger: self.logger)
    }
  }

  public func createInvites(_ codes: [String], nowMs: Int64) async throws {
    try await self.transaction("creating invites") { db in
      try await db.run("INSERT INTO invites (code, created_at_ms) SELECT unnest(\(codes)::text[]), \(nowMs)")
    }
  }

  public func register(_ r: Registration, nowMs: Int64) async throws -> DeviceRecord {
    try await self.transaction("registering a device") { db in
      let user = r.device.user.description
      let fingerprint = Data(r.fingerprint.bytes)
      if try await !db.rows("SELECT 1 FROM devices WHERE fingerprint = \(fingerprint)").isEmpty {
        throw RelayError(.alreadyExists, "this certificate's key is already registered")
      }
      if let home = r.home { try await Self.claimHome(home, db) }
      // Lock the user row (if any) so two registrations for one user take turns.
      let existing = try await db.rows("SELECT 1 FROM users WHERE address = \(user) FOR UPDATE")
      if !existing.isEmpty {
        let ids = try await db.rows("SELECT device_id FROM devices WHERE user_address = \(user)").map {
          try $0.decode(String.self)
        }
        if ids.contains(r.device.deviceID) {
          throw RelayError(.alreadyExists, "this user already has a device with that id")
        }
        if ids.count >= r.maxDevicesPerUser {
          throw RelayError(.resourceExhausted, "a user may have at most \(r.maxDevicesPerUser) devices")
        }
        guard let code = r.linkCode, !code.isEmpty else {
          throw RelayError(
            .permissionDenied, "this user exists: adding a device needs a link code from one of its devices")
        }
        let used = try await db.rows(
          "DELETE FROM link_codes WHERE code = \(code) AND user_address = \(user) AND expires_at_ms > \(nowMs) RETURNING 1"
        )
        if used.isEmpty { throw RelayError(.permissionDenied, "the link code is unknown, expired or for another user") }
      } else {
        if r.policy == .invite {
          guard let code = r.inviteCode, !code.isEmpty else {
            throw RelayError(
              .permissionDenied, "this relay registers new users by invite only: an invite code is required")
          }
          let used = try await db.rows(
            "UPDATE invites SET used_by = \(user) WHERE code = \(code) AND used_by IS NULL RETURNING 1")
          if used.isEmpty { throw RelayError(.permissionDenied, "the invite code is unknown or already used") }
        }
        let created = try await db.rows(
          "INSERT INTO users (address, created_at_ms) VALUES (\(user), \(nowMs)) ON CONFLICT DO NOTHING RETURNING 1")
        if created.isEmpty {
          // Another node registered this user's first device a moment ago.
          throw RelayError(.aborted, "this user was registered concurrently; retry")
        }
      }
      let identity = r.identityKey
      let spk = r.signedPrekey
      let kem = r.lastResortKemPrekey
      try await db.run(
        """
        INSERT INTO devices (user_address, device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement,
          signed_prekey_id, signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort, kem_last_resort_sig)
        VALUES (\(user), \(r.device.deviceID), \(fingerprint), \(nowMs), \(identity.signingKey), \(identity.agreementKey),
          \(Int64(spk.keyID)), \(spk.publicKey), \(spk.signature), \(Int64(kem.keyID)), \(kem.publicKey), \(kem.signature))
        """)
      try await Self.insertOneTimePrekeys(db, device: r.device, ec: r.oneTimePrekeys, kem: r.oneTimeKemPrekeys)
      if !existing.isEmpty { try await Self.announceDevices(of: r.device.user, region: self.region, db) }
      if let home = r.home { try await Self.announceRegionDevices(of: r.device.user, to: home.siblings, db) }
      return DeviceRecord(
        address: r.device, fingerprint: r.fingerprint, registeredAtMs: nowMs, identityKey: r.identityKey)
    }
  }

  public func createLinkCode(_ code: String, for user: UserAddress, expiresAtMs: Int64) async throws {
    try await self.transaction("creating a link code") { db in
      try await db.run(
        "INSERT INTO link_codes (code, user_address, expires_at_ms) VALUES (\(code), \(user.description), \(expiresAtMs))"
      )
    }
  }

  public func device(fingerprint: Fingerprint) async throws -> DeviceRecord? {
    try await self.read("looking up a device") { db in
      try await db.rows(
        "SELECT \(unescaped: Self.deviceColumns) FROM devices WHERE fingerprint = \(Data(fingerprint.bytes))"
      ).first.map(Self.deviceRecord)
    }
  }

  public func devices(of user: UserAddress) async throws -> [DeviceRecord] {
    try await self.read("listing devices") { db in
      try await db.rows(
        "SELECT \(unescaped: Self.deviceColumns) FROM devices WHERE user_address = \(user.description) ORDER BY device_id"
      ).map(Self.deviceRecord)
    }
  }

  static let deviceColumns =
    "user_address, device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement"

  static func deviceRecord(_ row: PostgresRow) throws -> DeviceRecord {
    let (user, device, fingerprint, registeredAt, signing, agreement) = try row.decode(
      (String, String, Data, Int64, Data, Data).self)
    var identity = Relay_V1_IdentityKey()
    identity.signingKey = signing
    identity.agreementKey = agreement
    return DeviceRecord(
      address: try DeviceAddress.stored(user: user, device: device),
      fingerprint: Fingerprint(bytes: Array(fingerprint)),
      registeredAtMs: registeredAt, identityKey: identity)
  }
}
