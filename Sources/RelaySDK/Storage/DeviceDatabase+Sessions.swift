internal import E2E
internal import Foundation
internal import GRDB

extension DeviceDatabase {
  static func sessions(with device: String, _ db: Database) throws -> PeerSessions {
    guard let data = try Data.fetchOne(db, sql: "SELECT state FROM sessions WHERE device = ?", arguments: [device])
    else { return PeerSessions() }
    return try JSONDecoder().decode(PeerSessions.self, from: data)
  }

  static func save(_ sessions: PeerSessions, with device: String, _ db: Database) throws {
    try db.execute(
      sql:
        "INSERT INTO sessions (device, state) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET state = excluded.state",
      arguments: [device, try JSONEncoder().encode(sessions)])
  }

  /// The devices of `user` as last fetched, with their identity keys.
  func knownDevices(of user: String) throws(ClientError) -> [String: IdentityPublicKey]? {
    try self.read("known devices") { db in
      let rows = try Row.fetchAll(
        db, sql: "SELECT device, signing_key, agreement_key FROM known_devices WHERE user = ?", arguments: [user])
      guard !rows.isEmpty else { return nil }
      return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], IdentityPublicKey(signing: $0[1], agreement: $0[2])) })
    }
  }

  /// Replaces what is known of `user`'s devices; sessions with devices that are gone are dropped.
  func setKnownDevices(of user: String, _ devices: [String: IdentityPublicKey]) throws(ClientError) {
    try self.write("known devices") { db in
      let old = try String.fetchAll(db, sql: "SELECT device FROM known_devices WHERE user = ?", arguments: [user])
      for device in old where devices[device] == nil {
        try db.execute(sql: "DELETE FROM sessions WHERE device = ?", arguments: [device])
      }
      try db.execute(sql: "DELETE FROM known_devices WHERE user = ?", arguments: [user])
      for (device, key) in devices {
        // A device whose identity changed gets fresh sessions.
        let previous = try Row.fetchOne(
          db, sql: "SELECT 1 FROM sessions WHERE device = ?", arguments: [device])
        if previous != nil, try Self.sessions(with: device, db).current?.remoteIdentity != key {
          try db.execute(sql: "DELETE FROM sessions WHERE device = ?", arguments: [device])
        }
        try db.execute(
          sql: "INSERT INTO known_devices (user, device, signing_key, agreement_key) VALUES (?, ?, ?, ?)",
          arguments: [user, device, key.signing, key.agreement])
      }
    }
  }
}
