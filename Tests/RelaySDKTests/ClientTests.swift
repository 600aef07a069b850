import E2E
import Foundation
import RelaySDK
import SwiftASN1
import TLSIdentity
import Testing
import Wire
import X509

@testable import RelayTestSupport

/// The client SDK through a real relay (`relay serve`) over TLS: end-to-end
/// encryption, several devices per user, groups, receipts, restarts.
@Suite("Client SDK through a relay", .timeLimit(Patience.minutes(5)))
struct ClientTests {
  @Test("two users with two devices each and a group of three; the relay's files and log hold no plaintext")
  func devicesAndGroup() async throws {
    try await ServedRelay.with { relay in
      let alice1 = try await Home.register("alice@localhost", "laptop", on: relay)
      let alice2 = try await Home.register("alice@localhost", "phone", on: relay, link: alice1)
      let bob1 = try await Home.register("bob@localhost", "laptop", on: relay)
      let bob2 = try await Home.register("bob@localhost", "phone", on: relay, link: bob1)
      let carol = try await Home.register("carol@localhost", "desk", on: relay)
      let secrets = ["direct from alice 🌍", "bob answers from his phone", "carol greets the group"]

      let direct = try await alice1.open { alice in
        let chat = try await alice.conversationID(for: "bob@localhost")
        _ = try await alice.send(secrets[0], to: chat)
        return chat
      }
      for home in [bob1, bob2, alice2] { #expect(try await home.receive(1) == [secrets[0]], "\(home.address)") }
      _ = try await bob2.open { try await $0.send(secrets[1], to: direct) }
      #expect(try await alice1.receive(1) == [secrets[1]])
      #expect(try await alice2.receive(1) == [secrets[1]])
      #expect(try await bob1.receive(1) == [secrets[1]], "the sender's other device gets its copy")

      let group = try await alice1.open {
        try await $0.createGroup(name: "three", members: ["bob@localhost", "carol@localhost"]).id
      }
      _ = try await carol.open { try await $0.send(secrets[2], to: group) }
      for home in [alice1, alice2, bob1, bob2] {
        let messages = try await home.collect { $0.messages.count >= 1 }.messages
        #expect(messages.map(\.text) == [secrets[2]] && messages[0].conversationID == group)
        #expect(messages[0].from == "carol@localhost")
      }
      for secret in secrets { #expect(try relay.filesContaining(secret) == [], "\(secret)") }
      // The search would find a plaintext that was there: the relay logs the user names it registers.
      #expect(try relay.filesContaining("carol@localhost") != [])
    }
  }

  @Test("delivered and read receipts reach the sender and mark its stored messages, every earlier one included")
  func receipts() async throws {
    try await ServedRelay.with { relay in
      let alice = try await Home.register("alice@localhost", "laptop", on: relay)
      let bob = try await Home.register("bob@localhost", "laptop", on: relay)
      let (chat, sent) = try await alice.open { device in
        let chat = try await device.conversationID(for: "bob@localhost")
        var sent = [StoredMessage]()
        for text in ["one", "two", "read me"] { sent.append(try await device.send(text, to: chat)) }
        return (chat, sent)
      }
      try await bob.open { device in
        try await device.connect { session in
          for await event in session.events {
            if case .message(let message) = event, message.messageID == sent[2].messageID {
              session.markRead(chat, upTo: message.seq)
              break
            }
          }
        }
      }
      // One read receipt, for the newest message: receipts are cumulative.
      let events = try await alice.collect { $0.receipts(.read).count == 1 && !$0.receipts(.delivered).isEmpty }
      #expect(events.receipts(.read) == [sent[2].messageID])
      #expect(events.receipts(.delivered).last == sent[2].messageID)
      let stored = try await alice.open { try $0.messages(in: chat) }
      #expect(stored.filter(\.outgoing).map(\.messageID) == sent.map(\.messageID))
      #expect(stored.filter(\.outgoing).allSatisfy { $0.status == .read })
    }
  }

  @Test("a restarted device resumes from its cursor and its sessions; prekeys are replenished")
  func restartAndPrekeys() async throws {
    try await ServedRelay.with { relay in
      let small = RelayDevice.Configuration.defaults {
        $0.prekeyBatch = 4
        $0.prekeyThreshold = 3
      }
      let bob = try await Home.register("bob@localhost", "laptop", on: relay, configuration: small)
      let senders = [
        try await Home.register("alice@localhost", "laptop", on: relay),
        try await Home.register("carol@localhost", "laptop", on: relay),
        try await Home.register("dave@localhost", "laptop", on: relay),
      ]
      for (index, sender) in senders.enumerated() {
        _ = try await sender.open { try await $0.send("hello \(index)", to: $0.conversationID(for: "bob@localhost")) }
      }
      // Three sessions claimed three of bob's four one-time prekeys; catching
      // up tops them up, after it reports the connection: the device stays
      // connected until the relay holds a fresh batch, not the one key left.
      let first = try await bob.open { device in
        try await device.connect { session in
          var events = [ClientEvent]()
          for await event in session.events {
            events.append(event)
            if events.messages.count == 3 && events.contains(.connection(.connected)) { break }
          }
          try await ChildProcess.waitUntil("a fresh batch of prekeys", seconds: 60) {
            try await device.prekeysLeft() >= 4
          }
          return events
        }
      }
      #expect(Set(first.messages.map(\.text)) == ["hello 0", "hello 1", "hello 2"])

      // Restarted: nothing is reported twice, and the sessions still work both ways.
      _ = try await senders[0].open {
        try await $0.send("after the restart", to: $0.conversationID(for: "bob@localhost"))
      }
      let second = try await bob.collect { $0.messages.count >= 1 && $0.contains(.connection(.connected)) }
      #expect(second.messages.map(\.text) == ["after the restart"])
      _ = try await bob.open { try await $0.send("bob replies", to: $0.conversationID(for: "alice@localhost")) }
      #expect(try await senders[0].receive(1) == ["bob replies"])
    }
  }

  @Test("a relay whose fingerprint is not the expected one is refused before registering")
  func pinnedFingerprint() async throws {
    try await ServedRelay.with { relay in
      let home = makeTemporaryDirectory() + "/device"
      await #expect(throws: ClientError.self) {
        try await RelayDevice.register(
          home: home, user: "eve@localhost", deviceID: "x", server: relay.server,
          serverFingerprint: String(repeating: "ab", count: 32))
      }
      let pem = try String(contentsOfFile: relay.directory + "/relay-cert.pem", encoding: .utf8)
      let fingerprint = try Fingerprint(certificate: Certificate(pemEncoded: pem)).description
      let registration = try await RelayDevice.register(
        home: home, user: "eve@localhost", deviceID: "x", server: relay.server, serverFingerprint: fingerprint)
      #expect(registration.relayFingerprint == fingerprint)
    }
  }

  @Test("a live session rides out a relay restart, reconnecting by itself; typing and presence reach it")
  func reconnectTypingPresence() async throws {
    try await ServedRelay.with { relay in
      let alice = try await Home.register("alice@localhost", "laptop", on: relay)
      let bob = try await Home.register("bob@localhost", "laptop", on: relay)
      let chat = try await alice.open { try await $0.conversationID(for: "bob@localhost") }
      let events = try await bob.collect(
        timeout: .seconds(60),
        during: { _, session in
          session.subscribePresence(["alice@localhost"])
          try await Task.sleep(for: .milliseconds(500))
          try await alice.appearTyping(in: chat)
          try await relay.restart(downtime: .milliseconds(500))
          _ = try await alice.open { try await $0.send("after the restart", to: chat) }
        },
        until: { $0.messages.count == 1 && $0.filter { $0 == .connection(.connected) }.count >= 2 })
      #expect(events.messages.map(\.text) == ["after the restart"])
      #expect(events.contains(.typing(conversationID: chat, user: "alice@localhost", typing: true)))
      #expect(events.contains { if case .presence("alice@localhost", true, _) = $0 { true } else { false } })
      #expect(events.contains { if case .connection(.disconnected) = $0 { true } else { false } })
      #expect(events.filter { $0 == .connection(.connected) }.count >= 2, "caught up again after reconnecting")
    }
  }
}
