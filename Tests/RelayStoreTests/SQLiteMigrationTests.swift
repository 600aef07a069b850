import Foundation
import GRDB
import TLSIdentity
import Testing
import Wire

@testable import RelayCore
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// A database made by an earlier schema, opened by today's store: the
/// migrations after it run, and what it held reads back.
@Suite("The embedded schema, migrated from an earlier version")
struct SQLiteMigrationTests {
  @Test("a database of schema 0002 (columns named user) opens with every row readable as user_address")
  func fromUserColumns() async throws {
    let directory = makeTemporaryDirectory()
    let fingerprint = Array(repeating: UInt8(7), count: 32)
    do {
      let pool = try DatabasePool(path: directory + "/relay.sqlite")
      try SQLiteMigrations.migrator().migrate(pool, upTo: "0002_federation")
      try await pool.write { db in
        let blob = Data(repeating: 1, count: 32)
        try db.execute(
          sql: "INSERT INTO users (address, created_at_ms) VALUES ('alice@localhost', 1), ('bob@localhost', 1)")
        try db.execute(
          sql: """
            INSERT INTO devices (user, device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement,
              signed_prekey_id, signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort, kem_last_resort_sig)
            VALUES ('alice@localhost', 'phone', ?, 1, ?, ?, 1, ?, ?, 1, ?, ?)
            """, arguments: [Data(fingerprint), blob, blob, blob, blob, blob, blob])
        try db.execute(
          sql: """
            INSERT INTO conversations (id, kind, home_relay, created_by, created_at_ms, last_activity_ms)
            VALUES ('c1', 2, 'localhost', 'alice@localhost', 1, 1)
            """)
        try db.execute(
          sql: """
            INSERT INTO members (conversation_id, user, role, joined_at_ms)
            VALUES ('c1', 'alice@localhost', 2, 1), ('c1', 'bob@localhost', 1, 2)
            """)
      }
      try pool.close()
    }
    let store = try SQLiteStore(directory: directory)
    let alice = try UserAddress(parsing: "alice@localhost")
    let devices = try await store.devices(of: alice)
    #expect(devices.map(\.address.description) == ["alice@localhost/phone"])
    #expect(try await store.device(fingerprint: Fingerprint(bytes: fingerprint))?.address == devices.first?.address)
    let conversation = try await store.conversation(id: "c1", viewer: alice)
    #expect(conversation.members.map(\.user.description) == ["alice@localhost", "bob@localhost"])
    #expect(conversation.members.map(\.role) == [.admin, .member])
    // The old name is gone: nothing can write to it any more.
    let columns = try await store.pool.read { db in try db.columns(in: "members").map(\.name) }
    #expect(columns.contains("user_address") && !columns.contains("user"))
  }
}
