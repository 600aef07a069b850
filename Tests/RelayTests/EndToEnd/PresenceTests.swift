import Foundation
import GRPCCore
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("Presence and typing, pushed only to subscribers", .timeLimit(Patience.minutes(3)))
struct PresenceTests {
  @Test("online while any device is connected, last-seen when the last goes; typing on, then off by TTL")
  func presenceAndTyping() async throws {
    // The typing TTL outlasts the gap between Alice's two frames even on a loaded machine
    // (with 400 ms, the first could expire before the second was read: a second "typing on").
    try await withPair(configure: {
      $0.presence.typingTTL = .seconds(2)
      $0.presence.sweepInterval = .milliseconds(50)
    }) { relay, alice, a, bob, b, chat in
      let laptop = TestDevice("bob@localhost", "laptop")
      let code = try await b.createLinkCode(.init()).linkCode
      try await laptop.withClient(relay) { l in
        try await laptop.register(l, link: code)
        try await withSession(a) { watcher in
          _ = try await watcher.catchUp()
          watcher.send(.with { $0.presence.users = ["bob@localhost"] })
          let initial = try await watcher.next("bob's presence") { $0.hasPresence ? $0.presence : nil }
          #expect(!initial.online && initial.lastSeenMs == 0)
          try await withSession(b) { phone in
            _ = try await phone.catchUp()
            #expect(
              try await watcher.next("bob online") { $0.presence.online ? $0.presence : nil }.user == "bob@localhost")
            try await withSession(l) { laptopSession in
              _ = try await laptopSession.catchUp()
              // Typing reaches Bob's devices once, however often Alice repeats it, then ends by itself.
              watcher.send(
                .with {
                  $0.typing = .with {
                    $0.conversationID = chat
                    $0.typing = true
                  }
                })
              watcher.send(
                .with {
                  $0.typing = .with {
                    $0.conversationID = chat
                    $0.typing = true
                  }
                })
              for session in [phone, laptopSession] {
                let on = try await session.next("typing on") { $0.hasTyping && $0.typing.typing ? $0.typing : nil }
                #expect(on.user == "alice@localhost" && on.conversationID == chat)
                let off = try await session.next("typing off") { $0.hasTyping && !$0.typing.typing ? $0.typing : nil }
                #expect(off.user == "alice@localhost")
              }
              let repeats = await phone.inbox.buffered.filter(\.hasTyping)
              #expect(repeats.isEmpty)
            }
            // One device left: still online, so no update reaches the watcher yet.
            try await Task.sleep(for: .milliseconds(200))
            #expect(await watcher.inbox.buffered.filter(\.hasPresence).isEmpty)
          }
          let offline = try await watcher.next("bob offline") {
            $0.hasPresence && !$0.presence.online ? $0.presence : nil
          }
          #expect(offline.lastSeenMs > 0)
          // Heartbeats are answered.
          watcher.send(.with { $0.heartbeat.clientTimeMs = 42 })
          let ack = try await watcher.next("heartbeat ack") { $0.hasHeartbeat ? $0.heartbeat : nil }
          #expect(ack.clientTimeMs == 42 && ack.serverTimeMs > 0)
        }
      }
    }
  }

  @Test(
    "present from Connect, before any heartbeat; a stream with no heartbeat for the TTL ends UNAVAILABLE and its device goes offline; one that heartbeats stays"
  )
  func presenceWithoutHeartbeats() async throws {
    try await withPair(configure: {
      $0.presence.ttl = .seconds(3)
      $0.presence.sweepInterval = .milliseconds(50)
    }) { relay, alice, a, bob, b, chat in
      try await withSession(a) { watcher in
        try await withThrowingTaskGroup(of: Void.self) { group in
          // Alice heartbeats as a client should, from the moment her stream opens (a TTL / 6); Bob never does.
          group.addTask {
            while !Task.isCancelled {
              watcher.send(.with { $0.heartbeat.clientTimeMs = 1 })
              try await Task.sleep(for: .milliseconds(500))
            }
          }
          _ = try await watcher.catchUp()
          watcher.send(.with { $0.presence.users = ["bob@localhost"] })
          #expect(try await !watcher.next("bob's presence") { $0.hasPresence ? $0.presence : nil }.online)
          try await withSession(b) { phone in
            let connected = ContinuousClock.now
            #expect(
              try await watcher.next("bob online at Connect") { $0.presence.online ? $0.presence : nil }.user
                == "bob@localhost")
            let end = try await phone.end(timeout: .seconds(30))
            #expect(
              end?.code == .unavailable && end?.message.contains("no heartbeat") == true, "\(String(describing: end))")
            #expect(ContinuousClock.now - connected >= .seconds(3), "ended only past the TTL")
            // Offline: the pushed update, or the answer to asking again (the relay's state either way).
            watcher.send(.with { $0.presence.users = ["bob@localhost"] })
            let offline = try await watcher.next("bob offline") {
              $0.hasPresence && !$0.presence.online ? $0.presence : nil
            }
            #expect(offline.lastSeenMs > 0)
          }
          #expect(!(await watcher.inbox.ended), "the stream that heartbeats is still open")
          group.cancelAll()
        }
      }
    }
  }

  @Test("graceful shutdown ends device streams with UNAVAILABLE")
  func gracefulShutdown() async throws {
    let alice = TestDevice("alice@localhost")
    try await withRelay { relay in
      try await alice.withClient(relay) { client in
        try await alice.register(client)
        try await withSession(client) { session in
          _ = try await session.catchUp()
          await relay.shutdown()
          let end = try await session.end()
          #expect(end?.code == .unavailable)
        }
      }
    }
  }

  @Test("grpc.health.v1: SERVING while up, NOT_SERVING to watchers on shutdown, NOT_FOUND for unknown services")
  func health() async throws {
    let device = TestDevice("anyone@localhost")
    try await withRelay { relay in
      try await device.withConnection(relay) { connection in
        let health = Grpc_Health_V1_Health.Client(wrapping: connection)
        for service in ["", "relay.v1.Client"] {
          #expect(try await health.check(.with { $0.service = service }).status == .serving)
        }
        #expect(await statusCode { _ = try await health.check(.with { $0.service = "nope" }) } == .notFound)
        let statuses = try await withThrowingTaskGroup(of: [Grpc_Health_V1_HealthCheckResponse.ServingStatus].self) {
          group in
          let (first, firstArrived) = AsyncStream.makeStream(of: Void.self)
          group.addTask {
            try await health.watch(.with { $0.service = "" }) { response in
              try await response.messages.reduce(into: []) { statuses, message in
                statuses.append(message.status)
                firstArrived.yield()
              }
            }
          }
          for await _ in first { break }  // the watch is open: now shut down
          await relay.shutdown()
          return try await group.next() ?? []
        }
        #expect(statuses == [.serving, .notServing])
      }
    }
  }
}
