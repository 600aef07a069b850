import Foundation
import GRPCCore
import PostgresNIO
import SwiftProtobuf
import Synchronization
import Testing
import Wire

@testable import Relay

/// PostgreSQL that stops answering — its backends stopped (SIGSTOP), or
/// reached through a proxy that stops reading both ways (``TCPProxy/pause()``)
/// as a stalled network would. Every wait ends within its bound, and nothing
/// is acknowledged that was not committed.
@Suite("A region node when PostgreSQL stops answering", .timeLimit(.minutes(4)))
struct DatabaseSilenceTests {
  @Test(
    "PostgreSQL's backends stopped (SIGSTOP): each send ends within its bound, none is acked uncommitted, sends resume")
  func backendsStopped() async throws {
    let url = try await TestDatabases.makePostgresDatabase()
    let region = try await TestRegion.make(postgresURL: url)
    let stopper = BackendStopper(url: url)
    defer { stopper.resumeAll() }  // also when the test fails half-way
    try await region.node("n1", leaseTimeout: .seconds(2), statementTimeout: .seconds(2)) { node in
      try await region.pair(node, node) { alice, a, bob, b, chat in
        let ids = (0 ..< 60).map { _ in newMessageID() }
        let (outcomes, silentFor) = try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await stopper.run() }
            // The node's PostgreSQL backends stop (and every new one the node opens); then sixty sends at once.
            try await stopper.stopAll()
            let stoppedAt = ContinuousClock.now
            for (index, id) in ids.enumerated() {
              aliceSession.send(
                .with { $0.send = sendRequest(chat, to: [bob.address], text: "m\(index)", messageID: id) })
            }
            var outcomes = [String: Bool]()
            while outcomes.count < ids.count {
              let (id, acked) = try await aliceSession.next("the outcome of every send", timeout: .seconds(60)) {
                frame -> (String, Bool)? in
                if case .sent(let sent) = frame.frame { return (sent.messageID, true) }
                if case .error(let error) = frame.frame, !error.messageID.isEmpty { return (error.messageID, false) }
                return nil
              }
              outcomes[id] = acked
            }
            group.cancelAll()
            return (outcomes, ContinuousClock.now - stoppedAt)
          }
        }
        #expect(stopper.stoppedCount > 0, "the node had backends to stop")
        stopper.resumeAll()
        // A stopped backend answers nothing: the node closes a connection whose statement has had
        // no answer for 2 s + 5 s; new connections are stopped too, or wait on the stopped ones' locks.
        #expect(silentFor < .seconds(45), "the last send ended \(silentFor) after the backends stopped")
        // A connection the pool opens in the 50 ms before the stopper sees it may still commit a few.
        #expect(outcomes.values.contains(false), "sends failed while the backends were stopped")

        try await ChildProcess.waitUntil("SERVING again", seconds: 60) {
          try await healthStatus(alice, node) == .serving
        }
        let after = try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          return try await aliceSession.sendMessage(chat, to: [bob.address], text: "after").get().messageID
        }
        let delivered = try await withSession(b) { try await $0.catchUp().map(\.envelope.messageID) }
        let acked = Set(outcomes.filter(\.value).keys)
        #expect(acked.isSubset(of: Set(delivered)), "every acknowledged send was committed")
        #expect(Set(delivered).isSubset(of: Set(ids).union([after])))
        #expect(delivered.last == after && Set(delivered).count == delivered.count)
      }
    }
  }

  @Test("SIGTERM while sends wait on a silent PostgreSQL: the node exits within its bound and acks nothing uncommitted")
  func shutdownWithParkedSends() async throws {
    let (proxy, url) = try await proxiedPostgres()
    let region = try await TestRegion.make(postgresURL: url)
    let port = try await freePort()
    let arguments = try region.serveArguments(
      "n1", port: port, region: "postgres_statement_timeout_ms: 20000",
      config: "connection: { shutdown_grace_seconds: 2 }")
    let process = try ChildProcess(relayExecutable, arguments)
    try await process.waitForOutput("relay listening")
    let pem = try String(contentsOfFile: region.dataDirectory + "/relay-cert.pem", encoding: .utf8)
    let node = TestRelay(port: port, dataDirectory: region.dataDirectory, certificatePEM: pem, store: nil) {}
    let alice = TestDevice(region.user("alice"))
    let bob = TestDevice(region.user("bob"))
    let (chat, acked) = try await withDirectChat(alice, on: node, bob, on: node) { _, a, _, _, chat in
      try await withSession(a) { aliceSession in
        _ = try await aliceSession.catchUp()
        var acked = [try await aliceSession.sendMessage(chat, to: [bob.address], text: "before").get().messageID]
        await proxy.pause()
        // Ten sends park in the commit that waits on PostgreSQL; then the node is told to stop.
        let parked = (0 ..< 10).map { _ in newMessageID() }
        for (index, id) in parked.enumerated() {
          aliceSession.send(.with { $0.send = sendRequest(chat, to: [bob.address], text: "p\(index)", messageID: id) })
        }
        // Time for the sends to reach the commit; the checks below hold whether they did or not.
        try await Task.sleep(for: .milliseconds(300))
        let stopping = ContinuousClock.now
        kill(process.pid, SIGTERM)
        // Graceful: 2 × 2 s + 5 s, then the services are cancelled; a little slack for a busy machine.
        let status = await process.exit(seconds: 40)
        let took = ContinuousClock.now - stopping
        #expect(took < .seconds(30), "exited \(took) after SIGTERM (status \(status))")
        #expect(status != 128 + SIGKILL, "ended by itself, not killed by the test")
        for frame in await aliceSession.inbox.frames {
          if case .sent(let sent) = frame.frame { acked.append(sent.messageID) }
        }
        return (chat, acked)
      }
    }
    await proxy.resume()
    let restarted = try ChildProcess(relayExecutable, arguments)
    try await restarted.waitForOutput("relay listening")
    let delivered = try await bob.withClient(node) { b in
      try await withSession(b) { try await $0.catchUp().map(\.envelope.messageID) }
    }
    #expect(Set(acked).isSubset(of: Set(delivered)), "every acknowledged send was committed")
    #expect(delivered.first == acked.first && !chat.isEmpty)
    #expect(await restarted.stop(SIGTERM) == 0)
    await proxy.close()
  }
}

/// A new database of the run's PostgreSQL, reached through a proxy the test controls.
func proxiedPostgres() async throws -> (TCPProxy, String) {
  let base = try await TestDatabases.makePostgresDatabase()
  let parsed = try PostgresURL(base)
  let proxy = try await TCPProxy(targetPort: parsed.port)
  return (proxy, "postgres://\(parsed.user)@127.0.0.1:\(proxy.port)/\(parsed.database)")
}

/// Stops (SIGSTOP) every PostgreSQL backend serving a database, and keeps
/// stopping new ones until told to resume: PostgreSQL stops answering the
/// node, on every connection it has or makes. Only a backend that waits for
/// its client (idle, or idle in a transaction: between two statements) is
/// stopped — one stopped while running could hold a lock every backend of
/// the shared server needs; a running one is caught when it next waits.
final class BackendStopper: Sendable {
  let url: String
  private let state = Mutex<(active: Bool, stopped: Set<Int32>)>((false, []))

  init(url: String) { self.url = url }

  var stoppedCount: Int { self.state.withLock { $0.stopped.count } }

  /// Stops every backend of the database now; ``run()`` keeps stopping new ones.
  func stopAll() async throws {
    self.state.withLock { $0.active = true }
    try await self.stopNew()
  }

  /// Until cancelled: every 50 ms while active, stops the backends that appeared.
  func run() async throws {
    while !Task.isCancelled {
      if self.state.withLock({ $0.active }) { try await self.stopNew() }
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  /// Lets every stopped backend run again.
  func resumeAll() {
    let stopped = self.state.withLock { state in
      state.active = false
      return state.stopped
    }
    for pid in stopped { kill(pid, SIGCONT) }
  }

  private func stopNew() async throws {
    let database = try PostgresURL(self.url).database
    let pids = try await TestDatabases.withConnection(self.url) { connection in
      try await connection.rows(
        """
        SELECT pid FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()
          AND state IN ('idle', 'idle in transaction')
        """
      ).map { try $0.decode(Int32.self) }
    }
    let new = self.state.withLock { state in
      guard state.active else { return [Int32]() }
      let new = pids.filter { !state.stopped.contains($0) }
      state.stopped.formUnion(new)
      return new
    }
    for pid in new { kill(pid, SIGSTOP) }
  }
}
