internal import Foundation
internal import NIOCore
internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  public func uploadPrekeys(_ upload: PrekeyUpload, for device: DeviceAddress) async throws -> PrekeyCounts {
    try await self.transaction("uploading prekeys") { db in
      let user = device.user.description
      // The device row lock serializes uploads (and the count check) per device.
      try await db.run(
        "SELECT 1 FROM devices WHERE user_address = \(user) AND device_id = \(device.deviceID) FOR UPDATE")
      let counts = try await Self.prekeyCounts(db, device: device)
      if counts.oneTime + upload.oneTimePrekeys.count > upload.maxStored
        || counts.oneTimeKem + upload.oneTimeKemPrekeys.count > upload.maxStored
      {
        throw RelayError(
          .resourceExhausted, "a device may hold at most \(upload.maxStored) one-time prekeys of each kind")
      }
      try await Self.insertOneTimePrekeys(db, device: device, ec: upload.oneTimePrekeys, kem: upload.oneTimeKemPrekeys)
      if let spk = upload.signedPrekey {
        try await db.run(
          """
          UPDATE devices SET signed_prekey_id = \(Int64(spk.keyID)), signed_prekey = \(spk.publicKey),
            signed_prekey_sig = \(spk.signature) WHERE user_address = \(user) AND device_id = \(device.deviceID)
          """)
      }
      if let kem = upload.lastResortKemPrekey {
        try await db.run(
          """
          UPDATE devices SET kem_last_resort_id = \(Int64(kem.keyID)), kem_last_resort = \(kem.publicKey),
            kem_last_resort_sig = \(kem.signature) WHERE user_address = \(user) AND device_id = \(device.deviceID)
          """)
      }
      return try await Self.prekeyCounts(db, device: device)
    }
  }

  public func claimPrekeyBundles(user: UserAddress, deviceID: String?) async throws -> [Relay_V1_PrekeyBundle] {
    try await self.transaction("claiming prekeys") { db in
      let rows = try await db.rows(
        """
        SELECT device_id, identity_signing, identity_agreement, signed_prekey_id, signed_prekey, signed_prekey_sig,
          kem_last_resort_id, kem_last_resort, kem_last_resort_sig
        FROM devices WHERE user_address = \(user.description) AND (\(deviceID)::text IS NULL OR device_id = \(deviceID))
        ORDER BY device_id
        """)
      if rows.isEmpty {
        throw RelayError(.notFound, deviceID == nil ? "no such user on this relay" : "no such device on this relay")
      }
      var bundles = [Relay_V1_PrekeyBundle]()
      for row in rows {
        let (device, signing, agreement, spkID, spk, spkSig, kemID, kem, kemSig) = try row.decode(
          (String, Data, Data, Int64, Data, Data, Int64, Data, Data).self)
        var bundle = Relay_V1_PrekeyBundle()
        bundle.device = "\(user)/\(device)"
        bundle.identityKey.signingKey = signing
        bundle.identityKey.agreementKey = agreement
        bundle.signedPrekey.keyID = UInt32(truncatingIfNeeded: spkID)
        bundle.signedPrekey.publicKey = spk
        bundle.signedPrekey.signature = spkSig
        if let (id, key, _) = try await Self.take(db, user: user.description, device: device, kind: Self.ecKind) {
          bundle.oneTimePrekey.keyID = id
          bundle.oneTimePrekey.publicKey = key
        } else {
          bundle.oneTimePrekeysExhausted = true
        }
        if let (id, key, signature) = try await Self.take(
          db, user: user.description, device: device, kind: Self.kemKind)
        {
          bundle.kemPrekey.keyID = id
          bundle.kemPrekey.publicKey = key
          bundle.kemPrekey.signature = signature
        } else {
          bundle.kemPrekey.keyID = UInt32(truncatingIfNeeded: kemID)
          bundle.kemPrekey.publicKey = kem
          bundle.kemPrekey.signature = kemSig
          bundle.kemPrekeyIsLastResort = true
        }
        bundles.append(bundle)
      }
      return bundles
    }
  }

  static let ecKind: Int16 = 0
  static let kemKind: Int16 = 1

  /// Takes (deletes) the lowest one-time prekey of a kind. `SKIP LOCKED`
  /// lets concurrent claims on other nodes take the next key instead of
  /// waiting, and never the same one.
  private static func take(
    _ db: PostgresConnection, user: String, device: String, kind: Int16
  ) async throws -> (UInt32, Data, Data)? {
    let rows = try await db.rows(
      """
      DELETE FROM one_time_prekeys WHERE (user_address, device_id, kind, key_id) = (
        SELECT user_address, device_id, kind, key_id FROM one_time_prekeys
        WHERE user_address = \(user) AND device_id = \(device) AND kind = \(kind)
        ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING key_id, public_key, signature
      """)
    guard let row = rows.first else { return nil }
    let (id, key, signature) = try row.decode((Int64, Data, Data?).self)
    return (UInt32(truncatingIfNeeded: id), key, signature ?? Data())
  }

  static func insertOneTimePrekeys(
    _ db: PostgresConnection, device: DeviceAddress, ec: [Relay_V1_OneTimePrekey], kem: [Relay_V1_KemPrekey]
  ) async throws {
    // One row per (kind, key id), the last one given winning, as an upsert of each in turn would.
    var rows = [String: (kind: Int16, id: Int64, key: ByteBuffer, signature: ByteBuffer)]()
    for key in ec {
      rows["0:\(key.keyID)"] = (Self.ecKind, Int64(key.keyID), ByteBuffer(bytes: key.publicKey), ByteBuffer())
    }
    for key in kem {
      rows["1:\(key.keyID)"] = (
        Self.kemKind, Int64(key.keyID), ByteBuffer(bytes: key.publicKey), ByteBuffer(bytes: key.signature)
      )
    }
    if rows.isEmpty { return }
    let values = Array(rows.values)
    let kinds = values.map(\.kind)
    let ids = values.map(\.id)
    let keys = values.map(\.key)
    let signatures = values.map(\.signature)
    try await db.run(
      """
      INSERT INTO one_time_prekeys (user_address, device_id, kind, key_id, public_key, signature)
      SELECT \(device.user.description), \(device.deviceID), k, i, p, NULLIF(s, ''::bytea)
      FROM unnest(\(kinds)::smallint[], \(ids)::bigint[], \(keys)::bytea[], \(signatures)::bytea[]) AS t(k, i, p, s)
      ON CONFLICT (user_address, device_id, kind, key_id)
        DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature
      """)
  }

  static func prekeyCounts(_ db: PostgresConnection, device: DeviceAddress) async throws -> PrekeyCounts {
    var counts = PrekeyCounts(oneTime: 0, oneTimeKem: 0)
    for row in try await db.rows(
      """
      SELECT kind, COUNT(*) FROM one_time_prekeys
      WHERE user_address = \(device.user.description) AND device_id = \(device.deviceID) GROUP BY kind
      """)
    {
      let (kind, count) = try row.decode((Int16, Int64).self)
      if kind == Self.ecKind { counts.oneTime = Int(count) } else { counts.oneTimeKem = Int(count) }
    }
    return counts
  }
}
