import Foundation
import GRPCCore
import PostgresNIO
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// PostgreSQL that stops answering, reached through a proxy that stops
/// reading both ways (``TCPProxy/pause()``) as a stalled network or a stopped
/// server would. (Not by stopping the server's backends with SIGSTOP: one
/// stopped while it holds a lock of the shared server freezes every test.) Every wait ends within its bound, and nothing
/// is acknowledged that was not committed.
@Suite("A region node when PostgreSQL stops answering", .timeLimit(Patience.minutes(4)))
struct DatabaseSilenceTests {
  @Test(
    "PostgreSQL silent mid-transaction (the network to it stops): each send ends within its bound, none is acked uncommitted, sends resume"
  )
  func databaseSilent() async throws {
    let (proxy, url) = try await proxiedPostgres()
    let region = try await TestRegion.make(postgresURL: url)
    do {
      try await self.silence(proxy, region)
    } catch {
      await proxy.resume()  // the node's teardown must not wait on a paused proxy
      throw error
    }
    await proxy.close()
  }

  private func silence(_ proxy: TCPProxy, _ region: TestRegion) async throws {
    // 5 s (scaled by Patience, as under ThreadSanitizer): PostgreSQL also ends a transaction
    // idle that long, and on a loaded machine the node may pause that long between two
    // statements while the test sets up its chat (seen once under TSan beside the push suites).
    try await region.node("n1", leaseTimeout: .seconds(2), statementTimeout: .seconds(5) * Patience.scale) { node in
      try await region.pair(node, node) { alice, a, bob, b, chat in
        let ids = (0 ..< 60).map { _ in newMessageID() }
        let (outcomes, silentFor) = try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          var outcomes = [String: Bool]()
          func nextOutcome() async throws {
            let (id, acked) = try await aliceSession.next("the outcome of every send", timeout: .seconds(60)) {
              frame -> (String, Bool)? in
              if case .sent(let sent) = frame.frame { return (sent.messageID, true) }
              if case .error(let error) = frame.frame, !error.messageID.isEmpty { return (error.messageID, false) }
              return nil
            }
            outcomes[id] = acked
          }
          func send(_ range: Range<Int>) {
            for index in range {
              aliceSession.send(
                .with { $0.send = sendRequest(chat, to: [bob.address], text: "m\(index)", messageID: ids[index]) })
            }
          }
          // Thirty sends; at the first acknowledgement PostgreSQL goes silent, whatever the node was
          // doing (a commit half-written, a connection being opened); then thirty more.
          send(0 ..< 30)
          try await nextOutcome()
          await proxy.pause()
          let silentAt = ContinuousClock.now
          send(30 ..< 60)
          while outcomes.count < ids.count { try await nextOutcome() }
          return (outcomes, ContinuousClock.now - silentAt)
        }
        await proxy.resume()
        // A silent connection is closed by the node when a statement has had no answer for
        // 5 s + 5 s (each scaled); a connection it opens meanwhile is silent too, and the lease waits 2 s.
        #expect(
          silentFor < .seconds(45) * Patience.scale, "the last send ended \(silentFor) after PostgreSQL went silent")
        #expect(outcomes.values.contains(false), "sends failed while PostgreSQL was silent")

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
        #expect(took < .seconds(30) * Patience.scale, "exited \(took) after SIGTERM (status \(status))")
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
