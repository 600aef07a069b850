internal import Logging
internal import PostgresNIO
internal import RelayCore

/// Every statement the store runs goes through these, and none is written to
/// a connection that has closed: postgres-nio 1.33 drops a query written
/// after its connection's pipeline is gone without ever answering it, so the
/// ROLLBACK of a transaction whose connection died (or was closed because the
/// database stopped answering) would wait for ever and hold its lease.
extension PostgresConnection {
  /// Runs a statement and collects its rows.
  func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
    try self.checkOpen()
    return try await ConnectionLiveness.statement { try await self.query(query, logger: Self.quiet).collect() }
  }

  /// Runs a statement for its effect.
  func run(_ query: PostgresQuery) async throws {
    try self.checkOpen()
    _ = try await ConnectionLiveness.statement { try await self.query(query, logger: Self.quiet).collect() }
  }

  /// Runs a prepared statement and collects its rows.
  func rows<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> [Statement.Row] {
    try self.checkOpen()
    return try await ConnectionLiveness.statement {
      try await self.execute(statement, logger: Self.quiet).reduce(into: []) { $0.append($1) }
    }
  }

  /// `body` between BEGIN and COMMIT; on an error, ROLLBACK if the connection
  /// is still open (else the server has rolled back already), and the error
  /// as `body` or COMMIT threw it.
  func inTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    try await self.run("BEGIN")
    do {
      let value = try await body(self)
      try await self.run("COMMIT")
      return value
    } catch {
      if !self.isClosed { try? await self.run("ROLLBACK") }
      throw error
    }
  }

  private func checkOpen() throws(RelayError) {
    guard !self.isClosed else { throw RelayError(.unavailable, "the database connection has closed") }
  }

  static let quiet = Logger(label: "relay.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
}
