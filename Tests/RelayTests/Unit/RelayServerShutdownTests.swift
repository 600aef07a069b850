import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("The gRPC server stopped before it listens, or cancelled while clients connect", .timeLimit(Patience.minutes(5)))
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

  /// Cancelled while connections wait in the transport's accept queue, the
  /// transport trapped ("Deinited NIOAsyncWriter without calling finish()",
  /// apple/swift-nio#2637) and took the process down: this test's process.
  @Test("a server cancelled while clients keep connecting stops, without a crash")
  func cancelledWhileClientsConnect() async throws {
    var configuration = RelayConfiguration.defaults
    configuration.dataDirectory = makeTemporaryDirectory()
    configuration.listen = .init(host: "127.0.0.1", port: 0)
    configuration.connection.shutdownGracePeriod = .seconds(1)
    let certificate = try RelayCertificate.load(configuration)
    for _ in 0 ..< 10 {
      let server = RelayServer(
        configuration: configuration, certificate: certificate, services: [], sessions: SessionRegistry(),
        health: HealthService())
      try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await server.run() }
        let port = try await server.listening.port
        let (connected, connecting) = AsyncStream.makeStream(of: Void.self)
        for _ in 0 ..< 16 {
          tasks.addTask { await Self.connectRepeatedly(to: port, connecting) }
        }
        var count = 0
        for await _ in connected {
          count += 1
          if count == 64 { break }
        }
        // Clients are still connecting while everything is cancelled.
        tasks.cancelAll()
        while let _ = try? await tasks.next() {}
      }
    }
  }

  /// Opens plain TCP connections to `port`, one after another, until cancelled;
  /// each one connected is yielded. Closes them all at the end.
  private static func connectRepeatedly(to port: Int, _ connected: AsyncStream<Void>.Continuation) async {
    var channels: [any Channel] = []
    while !Task.isCancelled {
      do {
        channels.append(
          try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(
            host: "127.0.0.1", port: port
          ).get())
        connected.yield()
      } catch {
        try? await Task.sleep(for: .milliseconds(1))
      }
    }
    for channel in channels { channel.close(promise: nil) }
  }

  /// The sweeper used to return when its node never became ready, and the
  /// group then ended with "a service has finished unexpectedly" instead of
  /// the server's reason (the database is unreachable) when it noticed first.
  @Test("a background part whose node never becomes ready ends the group with the node's own error")
  func neverReady() async throws {
    let sweeper = AttachmentSweeper(
      store: try SQLiteStore(directory: makeTemporaryDirectory()), interval: .seconds(600), wallClock: { 0 },
      ready: { throw RelayError(.unavailable, "the database is unreachable") }, logger: Logger(label: "test"))
    let group = ServiceGroup(
      configuration: .init(services: [.init(service: sweeper)], logger: Logger(label: "test")))
    let error = await #expect(throws: RelayError.self) { try await group.run() }
    #expect(error?.message == "the database is unreachable")
  }
}
