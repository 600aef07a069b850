internal import Foundation
internal import GRDB
public import RelayCore
public import ServiceLifecycle
internal import Wire

/// The embedded backend: one SQLite file in WAL mode through a GRDB pool.
/// Reads run concurrently; writes are serialized by SQLite, which is what
/// makes prekey claims and sequence numbers atomic here.
///
/// As a `Service`, it checkpoints the WAL off the commit path (see
/// `SQLiteStore+Checkpoint.swift`); the writer checkpoints only as a
/// backstop, when the WAL has grown past `backstopCheckpointPages`.
public final class SQLiteStore: RelayStore, Service {
  let pool: DatabasePool
  /// Attachments' bytes: a file each (`SQLiteStore+Attachments.swift`).
  let attachments: AttachmentFiles
  /// How often the background checkpoint runs.
  let checkpointInterval: Duration
  /// This relay's region of its domain, when it is one (docs/regions.md).
  let region: LocalRegion?
  static let backstopCheckpointPages = 50_000

  /// Opens (creating if needed) `relay.sqlite` in `directory` and migrates it.
  public init(
    directory: String, checkpointInterval: Duration = .milliseconds(100), region: LocalRegion? = nil
  ) throws(RelayError) {
    self.checkpointInterval = checkpointInterval
    self.region = region
    self.attachments = AttachmentFiles(directory: directory + "/attachments")
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw RelayError(.unavailable, "cannot create the data directory \(directory)", cause: error)
    }
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    configuration.prepareDatabase { db in
      // WAL with NORMAL sync: a commit is durable against a process crash and
      // costs no fsync; a bigger page cache keeps the send path's B-tree pages
      // in memory. Checkpoints run in the background, not in a commit.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
      try db.execute(sql: "PRAGMA cache_size = -32768")
      try db.execute(sql: "PRAGMA wal_autocheckpoint = \(SQLiteStore.backstopCheckpointPages)")
    }
    do {
      self.pool = try DatabasePool(path: directory + "/relay.sqlite", configuration: configuration)
      try SQLiteMigrations.migrator().migrate(self.pool)
    } catch {
      throw RelayError(.unavailable, "cannot open the database in \(directory)", cause: error)
    }
  }

  /// Runs a write transaction, mapping database errors.
  func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    do {
      return try await self.pool.write(body)
    } catch {
      throw RelayError.wrapping(error, what)
    }
  }

  func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    do {
      return try await self.pool.read(body)
    } catch {
      throw RelayError.wrapping(error, what)
    }
  }
}

extension Statement {
  func fetchOneRow(arguments: StatementArguments) throws -> Row? { try Row.fetchOne(self, arguments: arguments) }
  func fetchAllRows(arguments: StatementArguments) throws -> [Row] { try Row.fetchAll(self, arguments: arguments) }
}
