import Foundation
import GRPCCore
import Redis
import SwiftProtobuf
import Synchronization
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Two relay nodes sharing one PostgreSQL and one Redis.
@Suite("A region: two nodes, one PostgreSQL, one Redis", .timeLimit(Patience.minutes(3)))
struct RegionTests {
  @Test("a device on each node: live chat both ways, receipts, presence and typing cross nodes")
  func liveAcrossNodes() async throws {
    let region = try await TestRegion.make()
    try await region.node("n1") { node1 in
      try await region.node("n2") { node2 in
        try await region.pair(node1, node2) { alice, a, bob, b, chat in
          try await withSession(a) { aliceSession in
            _ = try await aliceSession.catchUp()
            aliceSession.send(.with { $0.presence.users = [bob.user] })
            let initial = try await aliceSession.next("bob's presence") { $0.hasPresence ? $0.presence : nil }
            #expect(!initial.online)
            try await withSession(b) { bobSession in
              _ = try await bobSession.catchUp()
              let online = try await aliceSession.next("bob online") {
                $0.hasPresence && $0.presence.online ? $0.presence : nil
              }
              #expect(online.user == bob.user)
              for index in 0 ..< 20 {
                let sent = try await aliceSession.sendMessage(chat, to: [bob.address], text: "m\(index)").get()
                let received = try await bobSession.envelope()
                #expect(received.seq == sent.seq && openedText(received) == "m\(index)")
              }
              bobSession.send(.with { $0.ack.cursor = 20 })
              // One receipt for the ack: delivered up to seq 20 (receipts are cumulative).
              let receipt = try await aliceSession.receipt(.delivered)
              #expect(receipt.seq == 20 && receipt.by == bob.address)
              bobSession.send(
                .with {
                  $0.typing = .with {
                    $0.conversationID = chat
                    $0.typing = true
                  }
                })
              let typing = try await aliceSession.next("bob typing") { $0.hasTyping ? $0.typing : nil }
              #expect(typing.user == bob.user && typing.typing)
              let reply = try await bobSession.sendMessage(chat, to: [alice.address], text: "back").get()
              let back = try await aliceSession.envelope()
              #expect(back.seq == reply.seq && openedText(back) == "back")
            }
            let offline = try await aliceSession.next("bob offline") {
              $0.hasPresence && !$0.presence.online ? $0.presence : nil
            }
            #expect(offline.lastSeenMs > 0)
          }
        }
      }
    }
  }

  @Test("the admin listener serves Prometheus metrics: sends, deliveries, latency, mailbox depth, pool, Redis")
  func metrics() async throws {
    let region = try await TestRegion.make()
    let metricsPort = try await freePort()
    try await withRelay(dataDirectory: region.dataDirectory) { config in
      config.region.postgresURL = region.postgresURL
      config.region.redisURL = region.redisURL
      config.region.nodeID = region.nodeID("m1")
      config.metrics.listen = .init(host: "127.0.0.1", port: metricsPort)
      config.metrics.sampleInterval = .milliseconds(50)
      config.region.postgresLeaseTimeout = .seconds(15)
    } _: { node in
      try await region.pair(node, node) { alice, a, bob, b, chat in
        try await withSession(b) { bobSession in
          _ = try await bobSession.catchUp()
          for index in 0 ..< 3 {
            _ = try await a.send(sendRequest(chat, to: [bob.address], text: "\(index)", messageID: newMessageID()))
            _ = try await bobSession.envelope()
          }
          // Refused at commit: it names a device that is not in the conversation.
          let stale = sendRequest(chat, to: [bob.address, alice.address + "x"], text: "x", messageID: newMessageID())
          _ = try? await a.send(stale)
          var body = ""
          try await ChildProcess.waitUntil("the sampled metrics") {
            body = try await httpGet(port: metricsPort, path: "/metrics").body
            return body.contains("relay_connected_devices 1") && body.contains("relay_mailbox_depth 3")
          }
          for line in [
            "relay_sends_committed_total 3", "relay_sends_failed_total 1", "relay_deliveries_total 3",
            "relay_delivery_latency_seconds_count 3", "relay_db_connections_in_use ",
            "relay_redis_round_trips_total ",
          ] {
            #expect(body.contains(line), "\(line) in \(body)")
          }
        }
      }
      #expect(try await httpGet(port: metricsPort, path: "/other").status == 404)
    }
  }

  @Test("Redis restarted mid-test: NOT_SERVING meanwhile, then delivery across nodes resumes and nothing sent is lost")
  func redisRestarts() async throws {
    let port = try await freePort()
    var redis = try await TestRedisServer(port: port)
    let region = try await TestRegion.make(redisURL: redis.url)
    try await region.node("n1") { node1 in
      try await region.node("n2") { node2 in
        try await region.chatting(node1, node2) { alice, aliceSession, bob, bobSession, chat in
          _ = try await aliceSession.sendMessage(chat, to: [bob.address], text: "before").get()
          #expect(openedText(try await bobSession.envelope()) == "before")

          await redis.stop()
          try await ChildProcess.waitUntil("NOT_SERVING without Redis") {
            try await healthStatus(alice, node2) == .notServing
          }
          // The database still takes sends; only the doorbell to the other node is lost.
          _ = try await aliceSession.sendMessage(chat, to: [bob.address], text: "during").get()
          redis = try await TestRedisServer(port: port)
          try await ChildProcess.waitUntil("SERVING with Redis back", seconds: 20) {
            try await healthStatus(alice, node2) == .serving
          }
          // Both nodes reconnect, record their sessions again and look at their mailboxes.
          #expect(openedText(try await bobSession.envelope(timeout: .seconds(20))) == "during")
          _ = try await aliceSession.sendMessage(chat, to: [bob.address], text: "after").get()
          #expect(openedText(try await bobSession.envelope()) == "after")
        }
      }
    }
    await redis.stop()
  }

  @Test("a node cut off from Redis alone: its doorbells are kept and sent when it is back")
  func senderNodeLosesRedis() async throws {
    let region = try await TestRegion.make()
    let redisPort = try RedisClient.Configuration(url: region.redisURL).port
    let proxy = try await TCPProxy(targetPort: redisPort)
    try await region.node("n1", redisURL: "redis://127.0.0.1:\(proxy.port)") { node1 in
      try await region.node("n2") { node2 in
        try await region.chatting(node1, node2) { alice, aliceSession, bob, bobSession, chat in
          await proxy.cut()
          try await ChildProcess.waitUntil("node 1 NOT_SERVING") {
            try await healthStatus(alice, node1) == .notServing
          }
          // Committed on node 1; its doorbell to node 2 cannot go out. Node 2 never lost Redis,
          // so nothing else would make Bob's session look at its mailbox.
          _ = try await aliceSession.sendMessage(chat, to: [bob.address], text: "while cut off").get()
          try await proxy.heal()
          #expect(openedText(try await bobSession.envelope(timeout: .seconds(20))) == "while cut off")
        }
      }
    }
    await proxy.close()
  }

  @Test("PostgreSQL briefly unreachable: sends fail UNAVAILABLE, health says NOT_SERVING, nothing uncommitted is acked")
  func postgresUnreachable() async throws {
    let (proxy, proxied) = try await proxiedPostgres()
    let region = try await TestRegion.make(postgresURL: proxied)
    // While the database is cut off, a send fails after waiting this long for a connection.
    try await region.node("n1", leaseTimeout: .seconds(5)) { node in
      try await region.pair(node, node) { alice, a, bob, b, chat in
        try await withSession(a) { aliceSession in
          _ = try await aliceSession.catchUp()
          var committed = [String]()
          committed.append(try await aliceSession.sendMessage(chat, to: [bob.address], text: "one").get().messageID)

          await proxy.cut()
          try await ChildProcess.waitUntil("NOT_SERVING") { try await healthStatus(alice, node) == .notServing }
          var failed = 0
          for index in 0 ..< 3 {
            switch try await aliceSession.sendMessage(chat, to: [bob.address], text: "lost\(index)") {
            case .success(let result): committed.append(result.messageID)
            case .failure(let error):
              #expect(error.code == Int32(RPCError.Code.unavailable.rawValue), "\(error.message)")
              failed += 1
            }
          }
          #expect(failed == 3)

          try await proxy.heal()
          try await ChildProcess.waitUntil("SERVING again") { try await healthStatus(alice, node) == .serving }
          committed.append(try await aliceSession.sendMessage(chat, to: [bob.address], text: "two").get().messageID)
          try await withSession(b) { bobSession in
            let entries = try await bobSession.catchUp()
            #expect(entries.map(\.envelope.messageID) == committed)
            #expect(entries.map { openedText($0.envelope) } == ["one", "two"])
          }
        }
      }
    }
    await proxy.close()
  }
}

/// Region nodes as `relay` processes, so that one can be killed outright.
@Suite("A region survives kill -9 of a node", .timeLimit(Patience.minutes(3)))
struct NodeFailureTests {
  @Test("kill -9 of a node mid-stream: its device reconnects to the other node and gets everything, once per cursor")
  func nodeKilled() async throws {
    let region = try await TestRegion.make()
    let ports = [try await freePort(), try await freePort()]
    var nodes = [ChildProcess]()
    for (index, port) in ports.enumerated() {
      nodes.append(try ChildProcess(relayExecutable, region.serveArguments("n\(index + 1)", port: port)))
      try await nodes[index].waitForOutput("relay listening")
    }
    let pem = try String(contentsOfFile: region.dataDirectory + "/relay-cert.pem", encoding: .utf8)
    let node1 = TestRelay(port: ports[0], dataDirectory: region.dataDirectory, certificatePEM: pem, store: nil) {}
    let node2 = TestRelay(port: ports[1], dataDirectory: region.dataDirectory, certificatePEM: pem, store: nil) {}
    let alice = TestDevice(region.user("alice"))
    let bob = TestDevice(region.user("bob"))
    let chat = try await alice.withClient(node2) { a in
      try await alice.register(a)
      _ = try await bob.withClient(node1) { try await bob.register($0) }
      return try await a.createConversation(
        .with {
          $0.kind = .direct
          $0.members = [bob.user]
        }
      ).id
    }
    let total = 300
    var before = [UInt64: UInt64]()  // cursor -> seq, as bob saw them on node 1
    var acks = [UInt64(0)]
    let progress = SendCount()
    let sent = try await bob.withClient(node1) { b in
      try await withSession(b) { bobSession in
        _ = try await bobSession.catchUp()
        return try await withThrowingTaskGroup(of: [UInt64].self) { group in
          // Alice, on node 2, sends all along; node 1 dies in the middle.
          group.addTask {
            try await alice.withClient(node2) { a in
              try await withSession(a) { aliceSession in
                _ = try await aliceSession.catchUp()
                var seqs = [UInt64]()
                for index in 0 ..< total {
                  seqs.append(try await aliceSession.sendMessage(chat, to: [bob.address], text: "m\(index)").get().seq)
                  progress.value.withLock { $0 += 1 }
                  try await Task.sleep(for: .milliseconds(3))  // a steady stream, not one burst
                }
                return seqs
              }
            }
          }
          while before.count < 100 {
            let envelope = try await bobSession.envelope()
            before[envelope.cursor] = envelope.seq
            if envelope.cursor % 25 == 0 {
              bobSession.send(.with { $0.ack.cursor = envelope.cursor })
              acks.append(envelope.cursor)
            }
          }
          await nodes[0].stop(SIGKILL)
          #expect(progress.value.withLock { $0 } < total, "node 1 died while alice was still sending")
          #expect(try await bobSession.end() != nil)  // the stream fails; it does not end cleanly
          return try await group.next()!
        }
      }
    }
    #expect(sent == (1 ... UInt64(total)).map { $0 })
    // Bob reconnects to node 2: everything after the cursor node 1 last committed, in order.
    let after = try await bob.withClient(node2) { b in
      try await withSession(b) { try await $0.catchUp().map(\.envelope) }
    }
    let first = try #require(after.first).cursor
    #expect(acks.contains(first - 1), "resumes right after an acknowledged cursor, not \(first - 1)")
    #expect(after.map(\.cursor) == Array(first ... UInt64(total)))
    #expect(after.map(\.seq) == after.map(\.seq).sorted())
    for envelope in after where before[envelope.cursor] != nil {
      #expect(
        before[envelope.cursor] == envelope.seq, "cursor \(envelope.cursor) is one message, whichever node sends it")
    }
    let received = Set(before.filter { $0.key < first }.values).union(after.map(\.seq))
    #expect(received == Set(1 ... UInt64(total)))
    #expect(await nodes[1].stop(SIGTERM) == 0)
  }
}

final class SendCount: Sendable {
  let value = Mutex(0)
}

/// The relay's overall health, asked over the device's own connection.
func healthStatus(
  _ device: TestDevice, _ relay: TestRelay
) async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
  try await device.withConnection(relay) { client in
    try await Grpc_Health_V1_Health.Client(wrapping: client).check(.init()).status
  }
}
