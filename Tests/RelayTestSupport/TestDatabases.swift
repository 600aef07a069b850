import Foundation
import Logging
import NIOPosix
import PostgresNIO

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite

/// The PostgreSQL and Redis servers `scripts/with-databases.sh` starts for
/// the test run. In CI (`CI=true`) they are required: a test that needs one
/// fails when it is missing, never skips.
enum TestDatabases {
  static var postgresURL: String? { ProcessInfo.processInfo.environment["RELAY_TEST_POSTGRES_URL"] }
  static var redisURL: String? { ProcessInfo.processInfo.environment["RELAY_TEST_REDIS_URL"] }
  static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

  static func requirePostgres() throws -> String {
    guard let url = Self.postgresURL else {
      throw RelayError(.unavailable, "RELAY_TEST_POSTGRES_URL is not set: run the tests through scripts/test.sh")
    }
    return url
  }

  static func requireRedis() throws -> String {
    guard let url = Self.redisURL else {
      throw RelayError(.unavailable, "RELAY_TEST_REDIS_URL is not set: run the tests through scripts/test.sh")
    }
    return url
  }

  /// A new, empty database on the test server; its URL.
  static func makePostgresDatabase() async throws -> String {
    let base = try Self.requirePostgres()
    let name = "relay_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    _ = try await Self.withConnection(base) { connection in
      try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "test"))
    }
    let slash = base.lastIndex(of: "/")!
    return String(base[..<slash]) + "/" + name
  }

  /// One connection to the database at `url` for the duration of `body`.
  static func withConnection<T: Sendable>(
    _ url: String, _ body: (PostgresConnection) async throws -> T
  ) async throws -> T {
    let parsed = try PostgresURL(url)
    let connection = try await PostgresConnection.connect(
      on: MultiThreadedEventLoopGroup.singleton.next(),
      configuration: .init(
        host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password,
        database: parsed.database, tls: .disable),
      id: 1, logger: Logger(label: "test.postgres"))
    do {
      let result = try await body(connection)
      try await connection.close()
      return result
    } catch {
      try? await connection.close()
      throw error
    }
  }
}
