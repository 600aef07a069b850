import E2E
import Foundation
import RelaySDK
import Synchronization
import Testing
import Wire

@testable import RelayTestSupport

/// One device sending and receiving at once: each peer session is read,
/// advanced and saved as one unit, so no message key is derived twice.
@Suite("Client SDK: sends and receives at once", .timeLimit(Patience.minutes(5)))
struct ClientConcurrencyTests {
  /// Every sealed copy's ratchet key and message number, by recipient device:
  /// the pair names the message key, so a repeat is a key used twice.
  final class SealedKeys: Sendable {
    private let seen = Mutex<[String: [Data]]>([:])

    func record(_ device: String, _ ciphertext: Data) {
      let header = (try? SealedEnvelopeFormat.parse(ciphertext).header) ?? Data()
      self.seen.withLock { $0[device, default: []].append(header.prefix(32) + header.suffix(4)) }
    }

    var repeats: [String: Int] {
      self.seen.withLock { $0.mapValues { $0.count - Set($0).count }.filter { $0.value > 0 } }
    }

    func count(to device: String) -> Int { self.seen.withLock { $0[device]?.count ?? 0 } }
  }

  @Test("200 sends and 200 receives at once on one device: every copy opens on the other side, no key repeats")
  func sendsAndReceivesAtOnce() async throws {
    try await ServedRelay.with { relay in
      let alice = try await Home.register("alice@localhost", "laptop", on: relay)
      let bob = try await Home.register("bob@localhost", "laptop", on: relay)
      let keys = SealedKeys()
      let recording = RelayDevice.Configuration.defaults { $0.sealed = { keys.record($0, $1) } }
      let chat = try await alice.open { try await $0.conversationID(for: "bob@localhost") }
      // Both sides hold the session before the storm: alice's receives advance the very sessions her sends use.
      _ = try await alice.open(configuration: recording) { try await $0.send("hello", to: chat) }
      #expect(try await bob.receive(1) == ["hello"])
      _ = try await bob.open(configuration: recording) { try await $0.send("hello back", to: chat) }

      let count = 200
      let received = try await alice.open(configuration: recording) { device in
        try await device.connect { session in
          try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0 ..< count {
              group.addTask { _ = try await device.send("alice \(index)", to: chat) }
            }
            group.addTask {
              try await bob.open(configuration: recording) { bobDevice in
                try await withThrowingTaskGroup(of: Void.self) { sends in
                  for index in 0 ..< count {
                    sends.addTask { _ = try await bobDevice.send("bob \(index)", to: chat) }
                  }
                  try await sends.waitForAll()
                }
              }
            }
            var events = [ClientEvent]()
            for await event in session.events {
              switch event {
              case .message, .undecryptable: events.append(event)
              default: break
              }
              if events.count == count + 1 { break }  // bob's 200 and his "hello back"
            }
            try await group.waitForAll()
            return events
          }
        }
      }
      #expect(received.messages.count == count + 1, "every copy bob sealed opened on alice's device")
      #expect(Set(received.messages.map(\.text)).count == count + 1)
      let atBob = try await bob.collect { events in
        events.contains { if case .undecryptable = $0 { true } else { false } } || events.messages.count >= count
      }
      #expect(atBob.messages.count == count, "every copy alice sealed opened on bob's device")
      #expect(keys.count(to: bob.address) == count + 1)
      #expect(keys.count(to: alice.address) == count + 1)
      #expect(keys.repeats.isEmpty, "message keys used twice: \(keys.repeats)")
    }
  }
}
