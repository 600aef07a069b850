internal import GRDB
internal import Logging
internal import RelayCore
internal import ServiceLifecycle

/// Checkpoints off the commit path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its
/// threshold: that commit copies the WAL's pages into the database and
/// fsyncs it while every send queued behind it waits (tens to hundreds of
/// milliseconds here, the relay's p99). Instead, a passive checkpoint runs
/// every `checkpointInterval` on a connection of its own: it copies what
/// the WAL holds and fsyncs while commits go on appending to the WAL, and
/// never waits for a reader or the writer.
extension SQLiteStore {
  public func run() async throws {
    let connection = try self.checkpointConnection()
    while !Task.isCancelled {
      do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.checkpointInterval) }
      } catch {
        return  // shutting down
      }
      // Busy (the writer's backstop checkpoint is running) or failed: the next round catches up.
      _ = try? await self.checkpoint(on: connection)
    }
  }

  /// A connection for checkpoints only, on the store's file.
  func checkpointConnection() throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.label = "checkpoint"
    return try DatabaseQueue(path: self.pool.path, configuration: configuration)
  }

  /// One passive checkpoint: the WAL's frames, and how many are now in the database.
  func checkpoint(on connection: DatabaseQueue) async throws -> (walFrames: Int, checkpointed: Int) {
    try await connection.writeWithoutTransaction { db in
      let (wal, done) = try db.checkpoint(.passive)
      return (wal, done)
    }
  }
}
