import Logging
import ServiceLifecycle
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("The gRPC server stopped before it listens", .timeLimit(.minutes(5)))
struct RelayServerShutdownTests {
  @Test("a shutdown during the preparation, which finishes anyway, stops the server and fails the port's waiters")
  func shutdownWhilePreparing() async throws {
    var configuration = RelayConfiguration.defaults
    configuration.dataDirectory = makeTemporaryDirectory()
    configuration.listen = .init(host: "127.0.0.1", port: 0)
    let (preparing, started) = AsyncStream.makeStream(of: Void.self)
    let server = RelayServer(
      configuration: configuration, certificate: try RelayCertificate.load(configuration), services: [],
      sessions: SessionRegistry(), health: HealthService(),
      prepare: {
        started.yield()
        // Like a migration that does not stop for cancellation: it returns
        // normally, after the shutdown has begun. Far longer than the bound
        // below, so a server that waits for it to end fails the test.
        try? await Task.sleep(for: .seconds(600))
      })
    let group = ServiceGroup(
      configuration: .init(services: [.init(service: server)], logger: Logger(label: "test")))
    try await withThrowingTaskGroup(of: Bool.self) { tasks in
      tasks.addTask {
        try await group.run()
        return true
      }
      for await _ in preparing { break }
      await group.triggerGracefulShutdown()
      // The bound leaves room for a loaded or sanitized run (normally 30 ms).
      tasks.addTask {
        try await Task.sleep(for: .seconds(120))
        return false
      }
      let stopped = try await tasks.next()
      #expect(stopped == true, "the server did not stop")
      tasks.cancelAll()
    }
    await #expect(throws: RelayError.self) { try await server.listening.port }
  }
}
