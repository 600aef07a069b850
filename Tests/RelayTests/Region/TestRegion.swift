import Foundation
import SwiftProtobuf
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// One test's region: a new PostgreSQL database, a Redis (the run's, or the
/// test's own), names no other test uses (they share the Redis), and one
/// data directory for every node so that all present the same certificate.
struct TestRegion: Sendable {
  let postgresURL: String
  let redisURL: String
  let tag = String(UUID().uuidString.prefix(8)).lowercased()
  let dataDirectory = makeTemporaryDirectory()

  static func make(redisURL: String? = nil, postgresURL: String? = nil) async throws -> TestRegion {
    var database = postgresURL
    if database == nil { database = try await TestDatabases.makePostgresDatabase() }
    return TestRegion(postgresURL: database!, redisURL: try redisURL ?? TestDatabases.requireRedis())
  }

  func user(_ name: String) -> String { "\(name)-\(self.tag)@localhost" }
  func nodeID(_ name: String) -> String { "\(name)-\(self.tag)" }

  /// Runs a node in this process for the duration of `body`.
  func node<T: Sendable>(
    _ name: String, postgresURL: String? = nil, redisURL: String? = nil, leaseTimeout: Duration = .seconds(15),
    statementTimeout: Duration = .seconds(30), configure: (inout RelayConfiguration) -> Void = { _ in },
    _ body: (TestRelay) async throws -> T
  ) async throws -> T {
    try await withRelay(dataDirectory: self.dataDirectory) { config in
      config.region.postgresURL = postgresURL ?? self.postgresURL
      config.region.redisURL = redisURL ?? self.redisURL
      config.region.nodeID = self.nodeID(name)
      config.region.postgresPoolSize = 6
      config.region.postgresLeaseTimeout = leaseTimeout
      config.region.postgresStatementTimeout = statementTimeout
      config.region.healthCheckInterval = .milliseconds(100)
      config.presence.sweepInterval = .milliseconds(50)
      configure(&config)
    } _: { relay in
      try await body(relay)
    }
  }

  /// The arguments that run a node of this region as a `relay` process, with
  /// the same patience for a pooled connection as the nodes in this process.
  /// `region` adds options to the config file's `region` section, `config` other sections (YAML).
  func serveArguments(_ name: String, port: Int, region: String = "", config more: String = "") throws -> [String] {
    let config = self.dataDirectory + "/\(name).yaml"
    // The same allowance for silent test sessions as the nodes in this process.
    var patient = RelayConfiguration.defaults
    patient.allowSilentTestSessions()
    let options = [
      "postgres_lease_timeout_ms: 15000", "session_ttl_seconds: \(patient.region.sessionTTL.components.seconds)",
      region,
    ].filter { !$0.isEmpty }.joined(separator: ", ")
    let presence =
      more.contains("presence:") ? "" : "presence: { ttl_seconds: \(patient.presence.ttl.components.seconds) }\n"
    let connection =
      more.contains("connection:")
      ? "" : "connection: { handshake_timeout_seconds: \(patient.connection.handshakeTimeout.components.seconds) }\n"
    try Data("region: { \(options) }\n\(presence)\(connection)\(more)".utf8).write(
      to: URL(fileURLWithPath: config))
    return [
      "serve", "--data-dir", self.dataDirectory, "--config", config, "--listen", "127.0.0.1:\(port)",
      "--postgres", self.postgresURL, "--redis", self.redisURL, "--node-id", self.nodeID(name),
    ]
  }
}

extension TestRegion {
  /// Alice connected to `aliceNode` and Bob to `bobNode`, both registered,
  /// with a direct conversation between them.
  func pair<T: Sendable>(
    _ aliceNode: TestRelay, _ bobNode: TestRelay,
    _ body: (TestDevice, RelayClient, TestDevice, RelayClient, String) async throws -> T
  ) async throws -> T {
    try await withDirectChat(
      TestDevice(self.user("alice")), on: aliceNode, TestDevice(self.user("bob")), on: bobNode, body)
  }

  /// ``pair(_:_:_:)`` with both devices' session streams open and caught up.
  func chatting<T: Sendable>(
    _ aliceNode: TestRelay, _ bobNode: TestRelay,
    _ body: (TestDevice, TestSession, TestDevice, TestSession, String) async throws -> T
  ) async throws -> T {
    try await self.pair(aliceNode, bobNode) { alice, a, bob, b, chat in
      try await withSession(a) { aliceSession in
        try await withSession(b) { bobSession in
          _ = try await aliceSession.catchUp()
          _ = try await bobSession.catchUp()
          return try await body(alice, aliceSession, bob, bobSession, chat)
        }
      }
    }
  }
}
