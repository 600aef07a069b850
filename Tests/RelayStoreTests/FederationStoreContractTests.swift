import Foundation
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// The federation half of the storage contract, on every backend: the
/// outbox a commit writes, the idempotent apply of a peer's events, version
/// vectors and requeues.
@Suite("Storage contract: federation", .timeLimit(Patience.minutes(3)))
struct FederationStoreContractTests {
  static let rules = FederationRules(localDomain: "localhost", maxEnvelopeBytes: 1024, maxCopies: 16, maxMembers: 16)

  @Test(
    "a send to remote members writes one outbox event per peer with its copies; acks delete by id",
    arguments: StoreBackend.all)
  func outboxOnSend(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = [try DeviceAddress(parsing: "bob@b.test/phone"), try DeviceAddress(parsing: "bob@b.test/laptop")]
      let carol = try DeviceAddress(parsing: "carol@c.test/phone")
      try await store.rememberRemoteDevices(of: bob[0].user, bob.map(Self.info))
      try await store.rememberRemoteDevices(of: carol.user, [Self.info(carol)])
      let group = try await fixture.conversation(
        .group, creator: "alice@localhost", others: ["bob@b.test", "carol@c.test"])

      // The remote devices count: a send that leaves one out is refused, naming it.
      let short = try await store.commit([fixture.send(alice, group.id, to: [bob[0], carol])], clock: fixture.clock)
      guard case .failure(let refused) = short[0] else {
        Issue.record("a send missing a remote device")
        return
      }
      #expect(refused.deviceMismatch?.missing == ["bob@b.test/laptop"])
      let sent = try await store.commit([fixture.send(alice, group.id, to: bob + [carol])], clock: fixture.clock)
      _ = try sent[0].get()

      let toB = try await store.outbox(for: "b.test", after: 0, limit: 10)
      #expect(toB.map(\.event.conversation.id) == [group.id, "", ""], "the conversation's state goes first")
      #expect(toB[1].event.deviceList.user == "alice@localhost", "then the devices of this relay's members")
      #expect(toB.last?.event.message.copies.map(\.device).sorted() == bob.map(\.description).sorted())
      #expect(toB.last?.event.message.originSeq == 1)
      let toC = try await store.outbox(for: "c.test", after: 0, limit: 10)
      #expect(toC.last?.event.message.copies.map(\.device) == [carol.description])
      try await store.deleteOutbox(for: "b.test", ids: toB.map(\.id))
      #expect(try await store.outbox(for: "b.test", after: 0, limit: 10).isEmpty)
      #expect(try await store.outboxBacklog(for: "c.test").depth == toC.count)
    }
  }

  @Test(
    "a peer's events apply once; forged ones are refused; an unknown conversation defers", arguments: StoreBackend.all)
  func idempotentApply(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let alice = try await fixture.register("alice@localhost/phone")
      let conversation = "5d2c0f7e-8a41-4b7a-9a53-3f0f2b1c9e10"
      let early = try await store.apply(
        [Self.entry(1, Self.message(conversation, seq: 1, to: alice))], from: "b.test", rules: Self.rules)
      #expect(early.deferred && early.throughID == 0 && early.rejected.isEmpty)

      let batch = [
        Self.entry(1, Self.state(conversation, members: ["alice@localhost", "bob@b.test"])),
        Self.entry(2, Self.message(conversation, seq: 1, to: alice)),
        Self.entry(3, Self.message(conversation, seq: 2, to: alice)),
        Self.entry(4, Self.message(conversation, seq: 3, to: alice, origin: "c.test")),
      ]
      let first = try await store.apply(batch, from: "b.test", rules: Self.rules)
      #expect(first.throughID == 4 && !first.deferred)
      #expect(first.rejected.map(\.code) == [.permissionDenied], "another domain's message")
      #expect(first.doorbells.count == 2)
      let again = try await store.apply(batch, from: "b.test", rules: Self.rules)
      #expect(again.doorbells.isEmpty && again.rejected.count == 1, "a redelivery changes nothing")
      #expect(try await store.mailbox(of: alice, after: 0, limit: 10).count == 2)
      #expect(try await store.versionVector(origin: "b.test").map(\.contiguousOriginSeq) == [2])

      // A gap holds the vector back until it is filled.
      _ = try await store.apply(
        [Self.entry(5, Self.message(conversation, seq: 4, to: alice))], from: "b.test", rules: Self.rules)
      #expect(try await store.versionVector(origin: "b.test").map(\.contiguousOriginSeq) == [2])
      _ = try await store.apply(
        [Self.entry(6, Self.message(conversation, seq: 3, to: alice))], from: "b.test", rules: Self.rules)
      #expect(try await store.versionVector(origin: "b.test").map(\.contiguousOriginSeq) == [4])

      // A delivered receipt for bob's messages goes back to b: one, for the newest (cumulative).
      _ = try await store.acknowledge(device: alice, upTo: 4, nowMs: 50)
      let receipts = try await store.outbox(for: "b.test", after: 0, limit: 10).filter {
        $0.event.receipt.status == .delivered
      }
      #expect(
        receipts.map(\.event.receipt.messageID) == [Self.message(conversation, seq: 4, to: alice).message.messageID])
      #expect(receipts.allSatisfy { $0.event.receipt.by == alice.description })
    }
  }

  @Test("requeue: this relay's messages past a peer's vector are queued for it again", arguments: StoreBackend.all)
  func requeuePastVector(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try DeviceAddress(parsing: "bob@b.test/phone")
      try await store.rememberRemoteDevices(of: bob.user, [Self.info(bob)])
      let chat = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@b.test"])
      for _ in 1 ... 3 { _ = try await store.commit([fixture.send(alice, chat.id, to: [bob])], clock: fixture.clock) }
      try await store.deleteOutbox(
        for: "b.test", ids: try await store.outbox(for: "b.test", after: 0, limit: 10).map(\.id))

      var vector = Relay_V1_VersionVectorEntry()
      vector.conversationID = chat.id
      vector.contiguousOriginSeq = 1
      #expect(try await store.requeue(for: "b.test", localDomain: "localhost", asGateway: false, after: [vector]) == 2)
      let queued = try await store.outbox(for: "b.test", after: 0, limit: 10).map(\.event.message)
      #expect(queued.map(\.originSeq) == [2, 3])
      #expect(queued.allSatisfy { $0.copies.map(\.device) == [bob.description] })
      vector.conversationID = "not-shared"
      #expect(try await store.requeue(for: "b.test", localDomain: "localhost", asGateway: false, after: [vector]) == 0)
    }
  }

  static func info(_ device: DeviceAddress) -> Relay_V1_DeviceInfo {
    var info = Relay_V1_DeviceInfo()
    info.device = device.description
    info.identityKey = TestDevice(device.user.description, device.deviceID).registerRequest().identityKey
    info.registeredAtMs = 1
    return info
  }

  static func entry(_ id: UInt64, _ event: Relay_V1_FederationEvent) -> Relay_V1_OutboxEvent {
    var entry = Relay_V1_OutboxEvent()
    entry.id = id
    entry.event = event
    return entry
  }

  static func state(_ id: String, members: [String]) -> Relay_V1_FederationEvent {
    var event = Relay_V1_FederationEvent()
    event.conversation.id = id
    event.conversation.kind = .group
    event.conversation.homeRelay = "b.test"
    event.conversation.createdBy = "bob@b.test"
    event.conversation.createdAtMs = 5
    event.conversation.version = 1
    event.conversation.members = members.map { user in
      var member = Relay_V1_Member()
      member.user = user
      member.role = user.hasPrefix("bob") ? .admin : .member
      return member
    }
    return event
  }

  static func message(
    _ conversation: String, seq: UInt64, to device: DeviceAddress, origin: String = "b.test"
  ) -> Relay_V1_FederationEvent {
    var event = Relay_V1_FederationEvent()
    event.message.conversationID = conversation
    event.message.messageID = String(format: "00000000-0000-4000-8000-%012llu", seq + (origin == "b.test" ? 0 : 1000))
    event.message.sender = origin == "b.test" ? "bob@b.test/phone" : "carol@c.test/phone"
    event.message.hlc = (100 + seq) << 16
    event.message.originRelay = origin
    event.message.originSeq = seq
    event.message.sentAtMs = Int64(100 + seq)
    var copy = Relay_V1_SealedCopy()
    copy.device = device.description
    copy.ciphertext = Data("sealed \(seq)".utf8)
    event.message.copies = [copy]
    return event
  }
}
