import Foundation
import Logging
import ServiceLifecycle

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite

/// A relay running in this process on a loopback port chosen by the OS, over
/// the real HTTP/2 transport with mutual TLS, with its data in a fresh
/// temporary directory.
struct TestRelay: Sendable {
  let port: Int
  let dataDirectory: String
  let certificatePEM: String
  /// The relay's store, when it runs in this process.
  let store: (any RelayStore)?
  /// Starts a graceful shutdown, as SIGTERM does.
  let shutdown: @Sendable () async -> Void
}

/// Runs `body` against a fresh relay, then shuts the relay down gracefully.
func withRelay<T: Sendable>(
  dataDirectory: String? = nil,
  configure: (inout RelayConfiguration) -> Void = { _ in },
  _ body: (TestRelay) async throws -> T
) async throws -> T {
  let directory = dataDirectory ?? makeTemporaryDirectory()
  var configuration = RelayConfiguration.defaults
  configuration.dataDirectory = directory
  configuration.listen = .init(host: "127.0.0.1", port: 0)
  configuration.limits.sendsPerSecond = 10_000
  configuration.limits.sendBurst = 10_000
  // Before `configure`: a test that sets its own TTL keeps it.
  configuration.allowSilentTestSessions()
  configure(&configuration)
  var logger = Logger(label: "test-relay")
  // RELAY_TEST_LOG=debug (or info, ...) shows more of what the test relays do.
  logger.logLevel =
    ProcessInfo.processInfo.environment["RELAY_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
  let relay = try RelayNode(configuration: configuration, logger: logger)
  let group = ServiceGroup(configuration: .init(services: [.init(service: relay)], logger: logger))
  return try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    do {
      let port = try await relay.listeningPort
      let testRelay = TestRelay(
        port: port, dataDirectory: directory, certificatePEM: relay.certificatePEM, store: relay.store
      ) { await group.triggerGracefulShutdown() }
      let result = try await body(testRelay)
      await group.triggerGracefulShutdown()
      try await tasks.waitForAll()
      return result
    } catch {
      await group.triggerGracefulShutdown()
      try? await tasks.waitForAll()
      throw error
    }
  }
}

func makeTemporaryDirectory() -> String {
  let path = NSTemporaryDirectory() + "relay-test-" + UUID().uuidString
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
