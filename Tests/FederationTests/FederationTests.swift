import Foundation
import GRDB
import GRPCCore
import GRPCNIOTransportHTTP2
import RelaySDK
import SwiftProtobuf
import TLSIdentity
import Testing
import Wire

@testable import RelayTestSupport

typealias FederationClient = Relay_V1_Federation.Client<HTTP2ClientTransport.Posix>

extension FederationSuites {
  /// Three relays in three processes, peered by config over mutual TLS.
  @Suite("Federation: three relays peered over mTLS", .timeLimit(Patience.minutes(5)))
  struct FederationTests {
    @Test(
      "a direct chat between a and b with receipts crossing relays, and a group with members on all three",
      arguments: [Set<String>(), ["b.test"]])
    func chatAcrossRelays(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let bob = try await Home.register("bob@b.test", "phone", on: mesh.b.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)

        let (chat, sent) = try await alice.open { device in
          let chat = try await device.conversationID(for: "bob@b.test")
          return (chat, try await device.send("hello from a", to: chat))
        }
        try await bob.open { device in
          try await device.connect { session in
            for await event in session.events {
              if case .message(let message) = event, message.messageID == sent.messageID {
                #expect(message.text == "hello from a")
                #expect(message.sender == alice.address)
                session.markRead(chat, upTo: message.seq)
                break
              }
            }
          }
        }
        let events = try await alice.collect { $0.receipts(.read).count == 1 && $0.receipts(.delivered).count == 1 }
        #expect(events.receipts(.delivered) == [sent.messageID])
        _ = try await bob.open { device in try await device.send("hello from b", to: chat) }
        #expect(try await alice.receive(1) == ["hello from b"])

        let group = try await alice.open { device in
          try await device.createGroup(name: "three relays", members: ["bob@b.test", "carol@c.test"]).id
        }
        for (home, text) in [(alice, "group: a"), (bob, "group: b"), (carol, "group: c")] {
          try await home.waitForConversation(group)
          _ = try await home.open { device in try await device.send(text, to: group) }
        }
        #expect(Set(try await alice.receive(2)) == ["group: b", "group: c"])
        #expect(Set(try await bob.receive(2)) == ["group: a", "group: c"])
        #expect(Set(try await carol.receive(2)) == ["group: a", "group: b"])
        for member in [mesh.a, mesh.b, mesh.c] where member.postgresURL == nil {
          for plaintext in ["hello from a", "hello from b", "group: a", "group: b", "group: c"] {
            #expect(try member.relay.filesContaining(plaintext).isEmpty, "\(member.domain) holds no plaintext")
          }
        }
      }
    }

    @Test(
      "membership changes made on a member's relay go through the owning relay and come back replicated",
      arguments: [Set<String>(), ["a.test", "b.test"]])
    func membershipThroughOwner(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let bob = try await Home.register("bob@b.test", "phone", on: mesh.b.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        _ = try await Home.register("dave@c.test", "phone", on: mesh.c.relay)
        let group = try await alice.open { device in
          try await device.createGroup(name: "owned by a", members: ["bob@b.test", "carol@c.test"]).id
        }
        try await bob.waitForConversation(group)
        // bob is no admin: the owner refuses, and b passes on its answer.
        let refused = await #expect(throws: ClientError.self) {
          _ = try await bob.open { device in try await device.removeMember("carol@c.test", from: group) }
        }
        #expect("\(refused!)".contains("only an admin may do this"), "\(refused!)")
        // alice (admin, on the owner) adds dave of c; bob leaves from b.
        _ = try await alice.open { device in try await device.addMembers(["dave@c.test"], to: group) }
        _ = try await bob.open { device in try await device.removeMember("bob@b.test", from: group) }
        let expected: Set<String> = ["alice@a.test", "carol@c.test", "dave@c.test"]
        try await ChildProcess.waitUntil("every replica shows the owner's members", seconds: 30) {
          let onA = try? await alice.open { try await $0.conversation(group) }
          let onC = try? await carol.open { try await $0.conversation(group) }
          return [onA, onC].allSatisfy { Set($0?.members.map(\.user) ?? []) == expected }
        }
        // b learns it by replication from the owner: wait for it (a loaded machine takes longer).
        try await ChildProcess.waitUntil("b knows bob left", seconds: 30) {
          do {
            _ = try await bob.open { device in try await device.conversation(group) }
            return false
          } catch let error as ClientError {
            return "\(error)".contains("not a member")
          }
        }
        _ = try await carol.open { device in try await device.send("after the changes", to: group) }
        #expect(try await alice.receive(1) == ["after the changes"])
      }
    }

    @Test("a message from a peer relay wakes its offline recipient through the recipient's own relay")
    func pushAcrossRelays() async throws {
      try await TestPushGateway.with { gateway in
        try await RelayMesh.with(config: ["b.test": gateway.configYAML()]) { mesh in
          let (alice, bob, chat) = try await mesh.directChat()
          try await bob.open { try await $0.setPushEndpoint(token: "bob-token") }
          _ = try await alice.open { try await $0.send("wake up", to: chat) }
          let requests = try await gateway.waitForToken("bob-token")
          #expect(requests.first?.json?["device"] as? String == "bob@b.test/phone")
          let body = String(decoding: requests.first?.body ?? Data(), as: UTF8.self)
          #expect(!body.contains("alice"))
          #expect(try await bob.receive(1) == ["wake up"])
        }
      }
    }

    @Test("presence and typing of a user on a reach a subscriber on b, and stop with the session")
    func presenceAndTypingAcrossRelays() async throws {
      try await RelayMesh.with { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let bob = try await Home.register("bob@b.test", "phone", on: mesh.b.relay)
        let chat = try await alice.open { try await $0.conversationID(for: "bob@b.test") }
        try await bob.waitForConversation(chat)
        let events = try await bob.collect(
          during: { _, session in
            session.subscribePresence(["alice@a.test"])
            try await Task.sleep(for: .milliseconds(500))
            try await alice.appearTyping(in: chat)
          },
          until: { events in
            events.contains(.typing(conversationID: chat, user: "alice@a.test", typing: true))
              && events.contains { if case .presence("alice@a.test", false, let seen) = $0 { seen > 0 } else { false } }
          })
        #expect(events.contains { if case .presence("alice@a.test", true, _) = $0 { true } else { false } })
        let online = events.firstIndex { if case .presence("alice@a.test", true, _) = $0 { true } else { false } }
        let gone = events.firstIndex {
          if case .presence("alice@a.test", false, let seen) = $0 { seen > 0 } else { false }
        }
        #expect(online! < gone!, "online, then offline with a last-seen time")
      }
    }

    @Test("a remote user's one-time prekeys are claimed exactly once under concurrent look-ups from two relays")
    func remoteClaimsAreExclusive() async throws {
      try await RelayMesh.with { mesh in
        let dave = TestDevice("dave@b.test")
        try await dave.withConnection(port: mesh.b.relay.port, relayCertificatePEM: mesh.b.certificatePEM) { client in
          _ = try await RelayClient(wrapping: client).register(dave.registerRequest(oneTime: 10))
        }
        let askers = [(TestDevice("erin@a.test"), mesh.a), (TestDevice("frank@c.test"), mesh.c)]
        let claimed = try await withThrowingTaskGroup(of: [UInt32].self) { group in
          for (asker, member) in askers {
            group.addTask {
              try await asker.withConnection(port: member.relay.port, relayCertificatePEM: member.certificatePEM) {
                let client = RelayClient(wrapping: $0)
                _ = try await client.register(asker.registerRequest())
                return try await withThrowingTaskGroup(of: [UInt32].self) { claims in
                  for _ in 0 ..< 8 {
                    claims.addTask {
                      let response = try await client.getPrekeyBundle(.with { $0.user = "dave@b.test" })
                      return response.bundles.filter(\.hasOneTimePrekey).map(\.oneTimePrekey.keyID)
                    }
                  }
                  return try await claims.reduce(into: []) { $0 += $1 }
                }
              }
            }
          }
          return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 10, "16 claims for 10 one-time prekeys: 10 get one")
        #expect(Set(claimed).count == claimed.count, "no one-time prekey handed out twice")
      }
    }

    @Test(
      "b stopped while a keeps sending, a restarted with its outbox full, then b back: everything arrives, once",
      arguments: [Set<String>(), ["a.test"]])
    func peerRestart(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let (alice, bob, chat) = try await mesh.directChat()
        async let restarted: Void = mesh.b.relay.restart(downtime: .seconds(5))
        try await Task.sleep(for: .milliseconds(500))
        let texts = (1 ... 20).map { "while b is down \($0)" }
        try await alice.open { device in
          for text in texts { _ = try await device.send(text, to: chat) }
        }
        // The sender restarts too while its outbox for b is waiting: the outbox is in its database.
        try await mesh.a.relay.restart(downtime: .milliseconds(200))
        try await restarted
        let events = try await bob.collect { $0.messages.count >= 20 && $0.contains(.connection(.connected)) }
        #expect(events.messages.map(\.text) == texts)
        let again = try? await bob.collect(timeout: .seconds(3)) { !$0.messages.isEmpty }
        #expect(again == nil, "nothing arrives twice")
      }
    }
  }
}

extension Home {
  /// Waits until the conversation has reached this device's relay (it is replicated from its home relay).
  func waitForConversation(_ id: String) async throws {
    try await ChildProcess.waitUntil("conversation \(id) at \(self.address)", seconds: 30) {
      (try? await self.open { try await $0.conversation(id) }) != nil
    }
  }
}
