import Foundation
import GRDB
import GRPCCore
import RelaySDK
import SwiftProtobuf
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// What a peer (or a client with remote users in its request) can make a relay do.
  @Suite("Federation: out-of-range peer values, and checks before lookups", .timeLimit(Patience.minutes(5)))
  struct FederationWireValueTests {
    @Test(
      "a peer's origin_seq, hlc, version or contiguous_origin_seq past 2^63 - 1 is refused; the relay keeps serving",
      arguments: [Set<String>(), ["a.test"]])
    func peerIntegersPastInt64(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let (alice, bob, chat) = try await mesh.directChat()
        let copy = Relay_V1_SealedCopy.with {
          $0.device = alice.address
          $0.ciphertext = Data([1, 2, 3])
        }
        func message(originSeq: UInt64, hlc: UInt64, id: String) -> Relay_V1_FederationEvent {
          .with {
            $0.message = .with {
              $0.conversationID = chat
              $0.messageID = "f1f1f1f1-0000-4000-8000-00000000000\(id)"
              $0.sender = bob.address
              $0.hlc = hlc
              $0.originRelay = "b.test"
              $0.originSeq = originSeq
              $0.sentAtMs = 1
              $0.copies = [copy]
            }
          }
        }
        let events: [Relay_V1_FederationEvent] = [
          message(originSeq: 1 << 63, hlc: 1 << 16, id: "1"),
          message(originSeq: 1_000, hlc: .max, id: "2"),
          .with {
            $0.conversation = .with {
              $0.id = "b-owned-group"
              $0.kind = .group
              $0.homeRelay = "b.test"
              $0.createdBy = "bob@b.test"
              $0.version = .max
              $0.members = [.with { $0.user = "bob@b.test" }]
            }
          },
        ]
        let outbox = events.enumerated().map { index, event in
          Relay_V1_OutboxEvent.with {
            $0.id = UInt64(index + 1)
            $0.event = event
          }
        }
        let (ack, reconcile) = try await mesh.b.asClient.withConnection(
          port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM
        ) { connection in
          let federation = FederationClient(wrapping: connection)
          let request = StreamingClientRequest<Relay_V1_ReplicationBatch> { writer in
            try await writer.write(.with { $0.events = outbox })
          }
          let ack = try await federation.replicate(request: request) { response in
            var acks = response.messages.makeAsyncIterator()
            return try await acks.next()
          }
          let reconcile = await #expect(throws: RPCError.self) {
            _ = try await federation.reconcile(
              .with {
                $0.entries = [
                  .with {
                    $0.conversationID = chat
                    $0.contiguousOriginSeq = .max
                  }
                ]
              })
          }
          return (ack, reconcile)
        }
        #expect(ack?.throughID == 3 && ack?.rejected == 3, "every out-of-range event is refused")
        #expect(reconcile?.code == .outOfRange)
        #expect(reconcile?.message == "contiguous_origin_seq must be at most \(Int64.max)")
        #expect(try await mesh.a.messages(chat).count == 1, "only the first, genuine message is stored")
        // The genuine link still delivers, both ways.
        _ = try await bob.open { device in try await device.send("still here", to: chat) }
        #expect(try await alice.receive(1) == ["still here"])
      }
    }

    @Test("AddMembers by a non-member naming remote users: PERMISSION_DENIED, no peer asked, nothing written")
    func unauthorizedAddAsksNoPeer() async throws {
      try await RelayMesh.with { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let eve = try await Home.register("eve@a.test", "phone", on: mesh.a.relay)
        _ = try await Home.register("dave@c.test", "phone", on: mesh.c.relay)
        let group = try await alice.open { try await $0.createGroup(name: "no eve", members: []).id }
        let refused = await #expect(throws: ClientError.self) {
          _ = try await eve.open { try await $0.addMembers(["dave@c.test"], to: group) }
        }
        #expect(refused?.message.contains("permissionDenied") == true, "\(String(describing: refused))")
        // a never asked c about dave: it holds no row for him.
        let database = try DatabaseQueue(
          path: mesh.a.relay.directory + "/relay.sqlite", configuration: RelayMesh.Member.sharing)
        let known = try await database.read { db in
          try Int.fetchOne(
            db,
            sql:
              "SELECT (SELECT COUNT(*) FROM users WHERE address = ?) + (SELECT COUNT(*) FROM remote_devices WHERE user_address = ?)",
            arguments: ["dave@c.test", "dave@c.test"]) ?? -1
        }
        #expect(known == 0)
        // An admin's add of the same user goes through.
        let after = try await alice.open { try await $0.addMembers(["dave@c.test"], to: group) }
        #expect(after.members.map(\.user).contains("dave@c.test"))
      }
    }
  }
}
