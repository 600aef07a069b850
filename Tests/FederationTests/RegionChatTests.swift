import Foundation
import RelaySDK
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// Regions of one domain (docs/regions.md): users homed in different regions chat.
  @Suite("Regions: users homed in different regions chat", .timeLimit(Patience.minutes(5)))
  struct RegionChatTests {
    @Test(
      "a direct chat between users homed in eu and us with receipts crossing regions, and a group with a member in each region",
      arguments: [Set<String>(), ["eu", "us"]])
    func chatAcrossRegions(onPostgres: Set<String>) async throws {
      try await RegionMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        let carol = try await Home.register("carol@example.test", "phone", on: mesh["ap"].relay)
        for (user, region) in [("alice", "eu"), ("bob", "us"), ("carol", "ap")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }

        let (chat, sent) = try await alice.open { device in
          let chat = try await device.conversationID(for: "bob@example.test")
          return (chat, try await device.send("hello from eu", to: chat))
        }
        try await bob.open { device in
          try await device.connect { session in
            for await event in session.events {
              if case .message(let message) = event, message.messageID == sent.messageID {
                #expect(message.text == "hello from eu")
                #expect(message.sender == alice.address)
                session.markRead(chat, upTo: message.seq)
                break
              }
            }
          }
        }
        let events = try await alice.collect { $0.receipts(.read).count == 1 && $0.receipts(.delivered).count == 1 }
        #expect(events.receipts(.delivered) == [sent.messageID])
        _ = try await bob.open { device in try await device.send("hello from us", to: chat) }
        #expect(try await alice.receive(1) == ["hello from us"])

        let group = try await alice.open { device in
          try await device.createGroup(name: "three regions", members: ["bob@example.test", "carol@example.test"]).id
        }
        for (home, text) in [(alice, "group: eu"), (bob, "group: us"), (carol, "group: ap")] {
          try await home.waitForConversation(group)
          _ = try await home.open { device in try await device.send(text, to: group) }
        }
        #expect(Set(try await alice.receive(2)) == ["group: us", "group: ap"])
        #expect(Set(try await bob.receive(2)) == ["group: eu", "group: ap"])
        #expect(Set(try await carol.receive(2)) == ["group: eu", "group: us"])
        for name in RegionMesh.names where mesh[name].postgresURL == nil {
          for plaintext in ["hello from eu", "hello from us", "group: eu", "group: us", "group: ap"] {
            #expect(try mesh[name].relay.filesContaining(plaintext).isEmpty, "\(name) holds no plaintext")
          }
        }
      }
    }

    @Test(
      "eu and us cut apart while alice in eu writes to bob in us, eu's outbox to us even lost: on heal anti-entropy between the regions brings us every message, once, in order",
      arguments: [Set<String>(), ["eu", "us"]])
    func partitionHealsBetweenRegions(onPostgres: Set<String>) async throws {
      try await RegionMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        for (user, region) in [("alice", "eu"), ("bob", "us")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }
        let chat = try await alice.open { device in
          let chat = try await device.conversationID(for: "bob@example.test")
          _ = try await device.send("before", to: chat)
          return chat
        }
        #expect(try await bob.receive(1) == ["before"])

        await mesh.cutEUUS()
        try await alice.open { device in
          for index in 1 ... 5 { _ = try await device.send("during \(index)", to: chat) }
        }
        let dropped = try await mesh["eu"].loseOutbox(to: "example.test#us")
        #expect(dropped >= 5, "eu's messages for us were still waiting in its outbox")
        try await mesh.healEUUS()
        try await ChildProcess.waitUntil("us holds all six messages", seconds: 60) {
          try await mesh["us"].messages(chat).count == 6
        }
        let onEU = try await mesh["eu"].messages(chat)
        #expect(try await mesh["us"].messages(chat) == onEU, "the same messages in the same display order")
        #expect(Set(onEU.map(\.origin)) == ["example.test#eu"])
        #expect(try await bob.receive(5) == (1 ... 5).map { "during \($0)" })
      }
    }
  }
}
