internal import Foundation
internal import Logging
internal import PostgresNIO
internal import RelayCore

/// The region schema, versioned: `schema/postgres/NNNN_name.sql`, applied in
/// order, each once, each in its own transaction, recorded in
/// `schema_migrations`. Nodes starting together take turns on an advisory
/// lock. `scripts/generate.sh` turns the SQL files into ``all``.
enum PostgresMigrations {
  /// Any fixed number: the key of the advisory lock migrations hold.
  static let lockKey: Int64 = 0x7265_6c61_7901

  /// Applies what is missing; returns the identifiers it applied.
  static func apply(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
    try await connection.run("SELECT pg_advisory_lock(\(Self.lockKey))")
    do {
      let applied = try await Self.applyMissing(connection, logger: logger)
      try await connection.run("SELECT pg_advisory_unlock(\(Self.lockKey))")
      return applied
    } catch {
      try? await connection.run("SELECT pg_advisory_unlock(\(Self.lockKey))")
      throw error
    }
  }

  private static func applyMissing(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
    try await connection.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    var done = Set<String>()
    for row in try await connection.rows("SELECT identifier FROM schema_migrations") {
      done.insert(try row.decode(String.self))
    }
    var applied = [String]()
    for migration in Self.all where !done.contains(migration.identifier) {
      try await connection.inTransaction { connection in
        for statement in Self.statements(migration.sql) {
          try await connection.run(PostgresQuery(unsafeSQL: statement))
        }
        try await connection.run("INSERT INTO schema_migrations (identifier) VALUES (\(migration.identifier))")
      }
      applied.append(migration.identifier)
    }
    return applied
  }

  /// Splits a migration file into statements at the semicolons that end
  /// them: not inside quotes, dollar-quoted bodies or comments. (The
  /// extended query protocol runs one statement at a time.)
  static func statements(_ sql: String) -> [String] {
    var statements = [String]()
    var current = ""
    var index = sql.startIndex
    func rest(_ from: String.Index) -> Substring { sql[from...] }
    while index < sql.endIndex {
      let character = sql[index]
      let tail = rest(index)
      if tail.hasPrefix("--") {
        let end = tail.firstIndex(of: "\n") ?? sql.endIndex
        index = end
        continue
      }
      if character == "'" || character == "\"" {
        let close = sql[sql.index(after: index)...].firstIndex(of: character) ?? sql.index(before: sql.endIndex)
        current += sql[index ... close]
        index = sql.index(after: close)
        continue
      }
      if character == "$", let tagEnd = tail.dropFirst().firstIndex(of: "$"),
        tail[tail.index(after: tail.startIndex) ..< tagEnd].allSatisfy({ $0.isLetter || $0 == "_" })
      {
        let tag = String(tail[tail.startIndex ... tagEnd])
        let bodyStart = sql.index(after: tagEnd)
        let close = sql[bodyStart...].range(of: tag)?.upperBound ?? sql.endIndex
        current += sql[index ..< close]
        index = close
        continue
      }
      if character == ";" {
        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !statement.isEmpty { statements.append(statement) }
        current = ""
      } else {
        current.append(character)
      }
      index = sql.index(after: index)
    }
    let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
    if !last.isEmpty { statements.append(last) }
    return statements
  }
}
