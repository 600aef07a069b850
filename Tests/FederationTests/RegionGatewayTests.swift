import Foundation
import RelaySDK
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// Regions of one domain seen by another domain (docs/regions.md, "Other
  /// domains"): `other.test` has one peer entry for `example.test` (eu, the
  /// gateway) and reaches users homed in every region through it.
  @Suite("Regions: another domain through the gateway region", .timeLimit(Patience.minutes(6)))
  struct RegionGatewayTests {
    @Test(
      "dave of other.test, with one peer entry for example.test, chats with alice (eu, the gateway) and bob (us): look-ups, messages and receipts both ways, a group owned by us he leaves through the gateway",
      arguments: [Set<String>(), ["eu", "us"]])
    func otherDomainReachesEveryRegion(onPostgres: Set<String>) async throws {
      try await RegionMesh.with(postgres: onPostgres, otherDomain: true) { mesh in
        let other = try #require(mesh.other)
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        let dave = try await Home.register("dave@other.test", "phone", on: other.relay)
        for (user, region) in [("alice", "eu"), ("bob", "us")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }

        // other.test → us through eu: the look-up of bob's keys, the conversation, the message.
        let (toBob, sent) = try await dave.open { device in
          let chat = try await device.conversationID(for: "bob@example.test")
          return (chat, try await device.send("hello bob, from other.test", to: chat))
        }
        try await bob.open { device in
          try await device.connect { session in
            for await event in session.events {
              if case .message(let message) = event, message.messageID == sent.messageID {
                #expect(message.text == "hello bob, from other.test")
                #expect(message.sender == dave.address)
                session.markRead(toBob, upTo: message.seq)
                break
              }
            }
          }
        }
        // us → other.test through eu: the receipts, and bob's answer.
        let receipts = try await dave.collect { $0.receipts(.read).count == 1 && $0.receipts(.delivered).count == 1 }
        #expect(receipts.receipts(.read) == [sent.messageID])
        _ = try await bob.open { device in try await device.send("hello dave, from us", to: toBob) }
        #expect(try await dave.receive(1) == ["hello dave, from us"])

        // The gateway's own user, both ways.
        let toAlice = try await alice.open { device in
          let chat = try await device.conversationID(for: "dave@other.test")
          _ = try await device.send("hello dave, from eu", to: chat)
          return chat
        }
        #expect(try await dave.receive(1) == ["hello dave, from eu"])
        _ = try await dave.open { device in try await device.send("hello alice", to: toAlice) }
        #expect(try await alice.receive(1) == ["hello alice"])

        // A group owned by us: every member hears the others; dave leaves through the gateway.
        let group = try await bob.open { device in
          try await device.createGroup(name: "two domains", members: ["alice@example.test", "dave@other.test"]).id
        }
        for (home, text) in [(bob, "group: us"), (alice, "group: eu"), (dave, "group: other")] {
          try await home.waitForConversation(group)
          _ = try await home.open { device in try await device.send(text, to: group) }
        }
        #expect(Set(try await bob.receive(2)) == ["group: eu", "group: other"])
        #expect(Set(try await alice.receive(2)) == ["group: us", "group: other"])
        #expect(Set(try await dave.receive(2)) == ["group: us", "group: eu"])
        try await dave.open { device in try await device.leave(group) }
        try await ChildProcess.waitUntil("alice sees dave gone from the group", seconds: 60) {
          let members = try await alice.open { try await $0.conversation(group).members }
          return !members.contains { $0.user == "dave@other.test" } && members.count == 2
        }
        for name in RegionMesh.names where mesh[name].postgresURL == nil {
          #expect(try mesh[name].relay.filesContaining("hello dave, from us").isEmpty, "\(name) holds no plaintext")
        }
        // Only the gateway passes events on.
        #expect(try await mesh["eu"].counter("relay_region_gateway_forwarded_events_total") > 0)
        #expect(try await mesh["us"].counter("relay_region_gateway_forwarded_events_total") == 0)
      }
    }

    @Test(
      "outboxes lost across the gateway, each way: other.test's towards example.test (bob in us gets every message once, in order) and the gateway's towards other.test with bob's answers (dave gets them); other.test's anti-entropy for the gateway's own messages queues nothing again"
    )
    func antiEntropyThroughTheGateway() async throws {
      try await RegionMesh.with(otherDomain: true) { mesh in
        let other = try #require(mesh.other)
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        let dave = try await Home.register("dave@other.test", "phone", on: other.relay)
        try await RegionDirectoryTests.waitForHome("bob@example.test", in: "us", version: 1, on: mesh)
        let chat = try await dave.open { device in
          let chat = try await device.conversationID(for: "bob@example.test")
          _ = try await device.send("before", to: chat)
          return chat
        }
        #expect(try await bob.receive(1) == ["before"])

        await mesh.cutOther()
        try await dave.open { device in
          for index in 1 ... 4 { _ = try await device.send("during \(index)", to: chat) }
        }
        let dropped = try await other.loseOutbox(to: "example.test")
        #expect(dropped >= 4, "other.test's messages were still waiting in its outbox")
        try await mesh.healOther()
        #expect(try await bob.receive(4) == (1 ... 4).map { "during \($0)" })
        try await ChildProcess.waitUntil("us holds all five messages", seconds: 60) {
          try await mesh["us"].messages(chat).count == 5
        }
        #expect(try await mesh["us"].messages(chat) == other.messages(chat), "the same messages in the same order")

        // The other way: bob's answers reach eu, and eu's outbox towards other.test is lost.
        _ = try await bob.open { device in try await device.send("hello dave", to: chat) }
        #expect(try await dave.receive(1) == ["hello dave"])
        await mesh.cutOther()
        try await bob.open { device in
          for index in 1 ... 3 { _ = try await device.send("from us \(index)", to: chat) }
        }
        try await ChildProcess.waitUntil("eu holds bob's three answers", seconds: 60) {
          try await mesh["eu"].messages(chat).count == 9
        }
        let lost = try await mesh["eu"].loseOutbox(to: RegionMesh.otherDomain)
        #expect(lost >= 3, "eu's forwards to other.test were still waiting in its outbox")
        try await mesh.healOther()
        #expect(try await dave.receive(3) == (1 ... 3).map { "from us \($0)" })
        try await ChildProcess.waitUntil("other.test holds all nine messages", seconds: 60) {
          try await other.messages(chat).count == 9
        }
        #expect(try await other.messages(chat) == mesh["us"].messages(chat), "the same messages in the same order")

        // The gateway's own messages to dave: once delivered, other.test's anti-entropy asks for none of them again.
        let toDave = try await alice.open { device in
          let chat = try await device.conversationID(for: "dave@other.test")
          for index in 1 ... 3 { _ = try await device.send("from eu \(index)", to: chat) }
          return chat
        }
        #expect(try await dave.receive(3) == (1 ... 3).map { "from eu \($0)" })
        try await ChildProcess.waitUntil("other.test holds eu's three messages", seconds: 60) {
          try await other.messages(toDave).count == 3
        }
        var rounds = [Int64]()
        try await ChildProcess.waitUntil("anti-entropy rounds with example.test that queue nothing", seconds: 60) {
          let peers = try await runProgram(relayExecutable, ["peers", "--json", "--config", other.configPath])
          let statuses = try JSONSerialization.jsonObject(with: Data(peers.output.utf8)) as? [[String: Any]] ?? []
          guard let status = statuses.first(where: { $0["domain"] as? String == RegionMesh.domain }),
            let contact = status["lastContactMs"] as? Int64, let requeued = status["lastRequeued"] as? Int
          else { return false }
          if requeued != 0 { rounds = [] } else if rounds.last != contact { rounds.append(contact) }
          return rounds.count >= 3
        }
      }
    }

    @Test(
      "presence and typing: bob in us sees alice in eu and dave of other.test come online, type and leave; dave sees bob's, through the gateway"
    )
    func presenceAndTypingCrossRegionsAndTheGateway() async throws {
      try await RegionMesh.with(otherDomain: true) { mesh in
        let other = try #require(mesh.other)
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        let dave = try await Home.register("dave@other.test", "phone", on: other.relay)
        for (user, region) in [("alice", "eu"), ("bob", "us")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }
        let withAlice = try await alice.open { try await $0.conversationID(for: "bob@example.test") }
        let withDave = try await dave.open { try await $0.conversationID(for: "bob@example.test") }
        try await bob.waitForConversation(withAlice)
        try await bob.waitForConversation(withDave)

        let seen = try await bob.collect(
          during: { _, session in
            session.subscribePresence(["alice@example.test", "dave@other.test"])
            try await Task.sleep(for: .milliseconds(500))
            try await alice.appearTyping(in: withAlice)
            try await dave.appearTyping(in: withDave)
          },
          until: { events in
            [("alice@example.test", withAlice), ("dave@other.test", withDave)].allSatisfy { user, chat in
              events.contains(.typing(conversationID: chat, user: user, typing: true))
                && Self.cameAndWent(user, in: events)
            }
          })
        #expect(Self.cameAndWent("alice@example.test", in: seen) && Self.cameAndWent("dave@other.test", in: seen))

        let daveSaw = try await dave.collect(
          during: { _, session in
            session.subscribePresence(["bob@example.test"])
            try await Task.sleep(for: .milliseconds(500))
            try await bob.appearTyping(in: withDave)
          },
          until: { events in
            events.contains(.typing(conversationID: withDave, user: "bob@example.test", typing: true))
              && Self.cameAndWent("bob@example.test", in: events)
          })
        #expect(Self.cameAndWent("bob@example.test", in: daveSaw))
      }
    }

    @Test(
      "attachments: uploaded in eu, in us and on other.test, each recipient downloads it through its own relay (from another region, through the gateway, either way)"
    )
    func attachmentsCrossRegionsAndTheGateway() async throws {
      try await RegionMesh.with(otherDomain: true) { mesh in
        let other = try #require(mesh.other)
        let alice = try await Home.register("alice@example.test", "phone", on: mesh["eu"].relay)
        let bob = try await Home.register("bob@example.test", "phone", on: mesh["us"].relay)
        let dave = try await Home.register("dave@other.test", "phone", on: other.relay)
        for (user, region) in [("alice", "eu"), ("bob", "us")] {
          try await RegionDirectoryTests.waitForHome("\(user)@example.test", in: region, version: 1, on: mesh)
        }
        let file = { (owner: String) in Data((0 ..< 300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ owner.count) })
        }
        // Each uploads at home and sends the reference to the two others.
        var sent = [String: AttachmentReference]()
        for (home, name, to) in [
          (alice, "alice", ["bob@example.test", "dave@other.test"]),
          (bob, "bob", ["alice@example.test", "dave@other.test"]),
          (dave, "dave", ["alice@example.test", "bob@example.test"]),
        ] {
          sent[name] = try await home.open { device in
            let reference = try await device.uploadAttachment(file(name), contentType: "a/b", fileName: name)
            for user in to { _ = try await device.send(reference, to: try await device.conversationID(for: user)) }
            return reference
          }
        }
        for (home, from) in [(alice, ["bob", "dave"]), (bob, ["alice", "dave"]), (dave, ["alice", "bob"])] {
          let messages = try await home.collect { $0.messages.count >= 2 }.messages
          for name in from {
            let reference = try #require(sent[name])
            #expect(messages.contains { $0.attachment == reference }, "\(home.address) got \(name)'s reference")
            let bytes = try await home.open { try await $0.downloadAttachment(reference) }
            #expect(bytes == file(name), "\(home.address) downloads \(name)'s attachment")
          }
        }
      }
    }

    /// `user` was seen online, then offline with a last-seen time.
    static func cameAndWent(_ user: String, in events: [ClientEvent]) -> Bool {
      guard let online = events.firstIndex(where: { if case .presence(user, true, _) = $0 { true } else { false } })
      else { return false }
      return events[online...].contains { if case .presence(user, false, let seen) = $0 { seen > 0 } else { false } }
    }
  }
}
