import Foundation
import GRDB
import GRPCCore
import RelaySDK
import SwiftProtobuf
import TLSIdentity
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// Who may speak as a peer, and for whom.
  @Suite("Federation: peer authentication and forged events", .timeLimit(Patience.minutes(5)))
  struct FederationPeerTrustTests {
    @Test("a relay whose certificate matches no configured peer gets UNAUTHENTICATED")
    func unknownPeerRefused() async throws {
      try await RelayMesh.with { mesh in
        let stranger = TestDevice("mallory@d.test", "relay")
        try await stranger.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
          let federation = FederationClient(wrapping: $0)
          let error = await #expect(throws: RPCError.self) {
            _ = try await federation.lookupUser(.with { $0.user = "alice@a.test" })
          }
          #expect(error?.code == .unauthenticated)
          #expect(error?.message == "this certificate's key is not a configured peer")
        }
      }
    }

    @Test("a peer that forges another domain's events has them refused and counted, and its stream keeps going")
    func forgedEventsRefused() async throws {
      try await RelayMesh.with { mesh in
        let (alice, bob, chat) = try await mesh.directChat()

        // b's own certificate, so a sees a genuine, configured peer: b.test.
        let asB = mesh.b.asClient
        let forged = Self.forgedEvents(chat: chat, to: alice.address)
        let ack = try await asB.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
          let federation = FederationClient(wrapping: $0)
          let request = StreamingClientRequest<Relay_V1_ReplicationBatch> { writer in
            try await writer.write(.with { $0.events = forged })
          }
          return try await federation.replicate(request: request) { response in
            var acks = response.messages.makeAsyncIterator()
            return try await acks.next()
          }
        }
        #expect(ack?.throughID == UInt64(forged.count), "the stream moves past refused events")
        #expect(ack?.rejected == UInt32(forged.count), "every forged event is refused")
        let database = try DatabaseQueue(
          path: mesh.a.relay.directory + "/relay.sqlite", configuration: RelayMesh.Member.sharing)
        let written = try await database.read { db in
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE message_id LIKE 'f0f0%'") ?? 0
        }
        #expect(written == 0, "nothing forged was written")
        // The genuine peer link still delivers.
        _ = try await bob.open { device in try await device.send("still here", to: chat) }
        #expect(try await alice.receive(1) == ["still here"])
      }
    }

    @Test("a peer over the batch size or its batch rate is refused RESOURCE_EXHAUSTED")
    func peerLimits() async throws {
      try await RelayMesh.with { mesh in
        let asB = mesh.b.asClient
        let replicate = { @Sendable (batches: [Relay_V1_ReplicationBatch]) async throws -> Int in
          try await asB.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
            let request = StreamingClientRequest<Relay_V1_ReplicationBatch> { writer in
              for batch in batches { try await writer.write(batch) }
            }
            return try await FederationClient(wrapping: $0).replicate(request: request) { response in
              try await response.messages.reduce(0) { count, _ in count + 1 }
            }
          }
        }
        // 257 events: one over the default batch size.
        let oversized = Relay_V1_ReplicationBatch.with { batch in
          batch.events = (1 ... 257).map { id in .with { $0.id = UInt64(id) } }
        }
        let big = await #expect(throws: RPCError.self) { _ = try await replicate([oversized]) }
        #expect(big?.code == .resourceExhausted)
        #expect(big?.message == "a batch may carry at most 256 events")
        // 2,000 batches as fast as they apply: the default rate is 200 a second, with as many in a burst.
        let flood = await #expect(throws: RPCError.self) {
          _ = try await replicate(Array(repeating: Relay_V1_ReplicationBatch(), count: 2000))
        }
        #expect(flood?.code == .resourceExhausted)
        #expect(flood?.message == "replicating faster than 200 batches a second")
        // Anti-entropy: one entry over the limit is refused before any look-up.
        let reconcile = await #expect(throws: RPCError.self) {
          try await asB.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
            _ = try await FederationClient(wrapping: $0).reconcile(
              .with { request in
                request.entries = (0 ... 4096).map { _ in  // 4,097: one over the limit
                  .with {
                    $0.conversationID = UUID().uuidString.lowercased()
                    $0.contiguousOriginSeq = 1
                  }
                }
              })
          }
        }
        #expect(reconcile?.code == .resourceExhausted)
        #expect(reconcile?.message == "a reconcile request may carry at most 4096 entries")
        // One entry naming one origin over the limit, refused before anything is read or queued.
        let origins = await #expect(throws: RPCError.self) {
          try await asB.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
            _ = try await FederationClient(wrapping: $0).reconcile(
              .with { request in
                request.entries = [
                  .with { entry in
                    entry.conversationID = UUID().uuidString.lowercased()
                    entry.origins = (0 ... 64).map { index in .with { $0.originRelay = "a.test#r\(index)" } }
                  }
                ]
              })
          }
        }
        #expect(origins?.code == .resourceExhausted)
        #expect(origins?.message == "a version vector entry may name at most 64 origins")
      }
    }

    /// Events b.test has no right to send: another domain's message, a message
    /// from a user of another domain, a copy for a device of b's own domain, a
    /// copy over the envelope limit, another domain's device list, a
    /// conversation owned by another relay.
    static func forgedEvents(chat: String, to device: String) -> [Relay_V1_OutboxEvent] {
      let copy = Relay_V1_SealedCopy.with {
        $0.device = device
        $0.ciphertext = Data([1, 2, 3])
      }
      func message(origin: String, sender: String, copies: [Relay_V1_SealedCopy] = [copy]) -> Relay_V1_FederationEvent {
        .with {
          $0.message = .with {
            $0.conversationID = chat
            $0.messageID =
              "f0f0f0f0-0000-4000-8000-\(String(origin.count * 1000 + sender.count, radix: 10).padding(toLength: 12, withPad: "0", startingAt: 0))"
            $0.sender = sender
            $0.hlc = 1 << 16
            $0.originRelay = origin
            $0.originSeq = 99
            $0.sentAtMs = 1
            $0.copies = copies
          }
        }
      }
      let events: [Relay_V1_FederationEvent] = [
        message(origin: "c.test", sender: "carol@c.test/phone"),
        message(origin: "b.test", sender: "carol@c.test/phone"),
        message(
          origin: "b.test", sender: "bob@b.test/phone",
          copies: [
            .with {
              $0.device = "bob@b.test/other"
              $0.ciphertext = Data([1])
            }
          ]),
        message(
          origin: "b.test", sender: "bob@b.test/phone",
          copies: [
            .with {
              $0.device = device
              $0.ciphertext = Data(count: 64 * 1024 + 1)
            }
          ]),
        .with { $0.deviceList = .with { $0.user = "carol@c.test" } },
        .with {
          $0.conversation = .with {
            $0.id = chat
            $0.kind = .direct
            $0.homeRelay = "c.test"
            $0.version = 100
          }
        },
      ]
      return events.enumerated().map { index, event in
        .with {
          $0.id = UInt64(index + 1)
          $0.event = event
        }
      }
    }
  }
}
