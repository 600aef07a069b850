import Foundation
import GRDB
import Logging
import NIOPosix
import PostgresNIO

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// What the federation tests read from (and do to) a relay's own database,
/// on either backend.
extension RelayMesh.Member {
  struct Stored: Equatable, Sendable {
    var messageID: String
    var origin: String
    var originSeq: Int64
    var hlc: Int64
  }

  /// The relay process writes the same file: wait for its locks (a loaded
  /// machine holds them longer) instead of failing SQLITE_BUSY at once.
  static var sharing: Configuration {
    var configuration = Configuration()
    configuration.busyMode = .timeout(30)
    return configuration
  }

  /// The conversation's messages on this relay, in display order (HLC, origin relay, origin sequence).
  func messages(_ conversation: String) async throws -> [Stored] {
    let sql = """
      SELECT message_id, origin_relay, origin_seq, hlc FROM messages WHERE conversation_id = $1
      ORDER BY hlc, origin_relay, origin_seq
      """
    if let url = self.postgresURL {
      return try await TestDatabases.withConnection(url) { connection in
        var found = [Stored]()
        let rows = try await connection.query(
          "SELECT message_id, origin_relay, origin_seq, hlc FROM messages WHERE conversation_id = \(conversation) ORDER BY hlc, origin_relay, origin_seq",
          logger: Logger(label: "test"))
        for try await (id, origin, seq, hlc) in rows.decode((String, String, Int64, Int64).self) {
          found.append(Stored(messageID: id, origin: origin, originSeq: seq, hlc: hlc))
        }
        return found
      }
    }
    var configuration = Self.sharing
    configuration.readonly = true
    let database = try DatabaseQueue(path: self.relay.directory + "/relay.sqlite", configuration: configuration)
    return try await database.read { db in
      try Row.fetchAll(db, sql: sql.replacingOccurrences(of: "$1", with: "?"), arguments: [conversation]).map {
        Stored(messageID: $0[0], origin: $0[1], originSeq: $0[2], hlc: $0[3])
      }
    }
  }

  /// Deletes what waits in this relay's outbox for `peer`, as a lost outbox would; how many events.
  func loseOutbox(to peer: String) async throws -> Int {
    if let url = self.postgresURL {
      return try await TestDatabases.withConnection(url) { connection in
        let rows = try await connection.query(
          "WITH gone AS (DELETE FROM outbox WHERE peer = \(peer) RETURNING 1) SELECT count(*) FROM gone",
          logger: Logger(label: "test"))
        var count = 0
        for try await n in rows.decode(Int64.self) { count = Int(n) }
        return count
      }
    }
    let database = try DatabaseQueue(path: self.relay.directory + "/relay.sqlite", configuration: Self.sharing)
    return try await database.write { db in
      try db.execute(sql: "DELETE FROM outbox WHERE peer = ?", arguments: [peer])
      return db.changesCount
    }
  }

  /// Whether this relay holds `needle` anywhere: its files (and log) on the
  /// embedded store; its attachments' chunks and messages on PostgreSQL.
  func holds(_ needle: String) async throws -> Bool {
    guard let url = self.postgresURL else { return try !self.relay.filesContaining(needle).isEmpty }
    let bytes = Data(needle.utf8)
    return try await TestDatabases.withConnection(url) { connection in
      let rows = try await connection.query(
        """
        SELECT (SELECT count(*) FROM attachment_chunks WHERE position(\(bytes) IN data) > 0)
          + (SELECT count(*) FROM copies WHERE position(\(bytes) IN ciphertext) > 0)
        """, logger: Logger(label: "test"))
      var count: Int64 = 0
      for try await n in rows.decode(Int64.self) { count = n }
      return count > 0 || self.relay.log.contains(needle)
    }
  }
}
