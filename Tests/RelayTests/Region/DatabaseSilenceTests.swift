import Foundation
import GRPCCore
import PostgresNIO
import SwiftProtobuf
import Testing
import Wire

@testable import Relay

/// PostgreSQL that stops answering — its backends stopped (SIGSTOP), or
/// reached through a proxy that stops reading both ways (``TCPProxy/pause()``)
/// as a stalled network would. Every wait ends within its bound, and nothing
/// is acknowledged that was not committed.
@Suite("A region node when PostgreSQL stops answering", .timeLimit(.minutes(4)))
struct DatabaseSilenceTests {
  @Test("PostgreSQL's backends stopped mid-transaction: each send ends within its bound, none is acked uncommitted")
  func backendsStopped() async throws {
    let url = try await TestDatabases.makePostgresDatabase()
    let region = try await TestRegion.make(postgresURL: url)
    try await region.node("n1", leaseTimeout: .seconds(2), statementTimeout: .seconds(2)) { node in
      try await region.pair(node, node) { alice, a, bob, b, chat in
        let ids = (0 ..< 60).map { _ in newMessageID() }
        var stopped = [Int32]()
        defer { for pid in stopped { kill(pid, SIGCONT) } }  // also when the test fails half-way
        let (outcomes, silentFor) = try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          return try await withThrowingTaskGroup(of: Void.self) { group in
            // A steady stream of sends; the node's PostgreSQL backends stop in the middle of it.
            group.addTask {
              for (index, id) in ids.enumerated() {
                aliceSession.send(.with { $0.send = sendRequest(chat, to: [bob.address], text: "m\(index)", messageID: id) })
                try await Task.sleep(for: .milliseconds(2))
              }
            }
            var outcomes = [String: Bool]()
            var stoppedAt: ContinuousClock.Instant?
            while outcomes.count < ids.count {
              let (id, acked) = try await aliceSession.next("the outcome of every send", timeout: .seconds(60)) {
                frame -> (String, Bool)? in
                if case .sent(let sent) = frame.frame { return (sent.messageID, true) }
                if case .error(let error) = frame.frame, !error.messageID.isEmpty { return (error.messageID, false) }
                return nil
              }
              outcomes[id] = acked
              if outcomes.count == 10 {
                stopped = try await Self.backends(of: url)
                for pid in stopped { kill(pid, SIGSTOP) }
                stoppedAt = .now
              }
            }
            try await group.waitForAll()
            return (outcomes, ContinuousClock.now - stoppedAt!)
          }
        }
        #expect(!stopped.isEmpty, "the node had backends to stop")
        for pid in stopped { kill(pid, SIGCONT) }
        stopped = []
        // A stopped backend answers nothing: the node closes its connection past 2 s + 5 s, and
        // new connections wait on the stopped ones' row locks until the 2 s statement timeout.
        #expect(silentFor < .seconds(45), "the last send ended \(silentFor) after the backends stopped")
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

  /// The server processes serving the database of `url` (not the one asking).
  static func backends(of url: String) async throws -> [Int32] {
    let database = try PostgresURL(url).database
    return try await TestDatabases.withConnection(url) { connection in
      try await connection.rows(
        "SELECT pid FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()"
      ).map { try $0.decode(Int32.self) }
    }
  }

  @Test("SIGTERM while sends wait on a silent PostgreSQL: the node exits within its bound and acks nothing uncommitted")
  func shutdownWithParkedSends() async throws {
    let (proxy, url) = try await proxiedPostgres()
    let region = try await TestRegion.make(postgresURL: url)
    let port = try await freePort()
    let arguments = try region.serveArguments(
      "n1", port: port, region: "postgres_statement_timeout_ms: 20000", config: "connection: { shutdown_grace_seconds: 2 }")
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
