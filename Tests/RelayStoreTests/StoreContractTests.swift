import Foundation
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// The storage contract: what every backend must do, tested on each one.
@Suite("Storage contract", .timeLimit(Patience.minutes(3)))
struct StoreContractTests {
  @Test(arguments: StoreBackend.all)
  func capabilities(_ backend: StoreBackend) async throws {
    try await backend.withStores(2) { stores in
      // A migrated schema is up to date: migrating again applies nothing.
      let applied = try await stores[1].migrate(waitingUpTo: .seconds(60))
      #expect(applied.isEmpty)
      #expect(await stores[0].ping())
      // What the relay asks a backend, instead of which backend it is.
      switch backend {
      case .sqlite:
        #expect(!stores[0].takesConcurrentCommits && !stores[0].isShared)
        #expect(stores[0].connectionsInUse == nil)
      case .postgres:
        #expect(stores[0].takesConcurrentCommits && stores[0].isShared)
        #expect(stores[0].connectionsInUse == 0)
      }
    }
  }

  @Test(arguments: StoreBackend.all)
  func registrationAndLookup(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let phone = try await fixture.register("alice@localhost/phone")
      let devices = try await fixture.store.devices(of: phone.user)
      #expect(devices.map(\.address) == [phone])
      let found = try await fixture.store.device(fingerprint: devices[0].fingerprint)
      #expect(found?.address == phone)
      // A second device needs a link code for that user, used once, before it expires.
      await #expect(throws: RelayError.self) { try await fixture.register("alice@localhost/laptop") }
      try await fixture.store.createLinkCode("code-1", for: phone.user, expiresAtMs: 100)
      try await fixture.register("alice@localhost/laptop", link: "code-1")
      await #expect(throws: RelayError.self) { try await fixture.register("alice@localhost/tablet", link: "code-1") }
      try await fixture.store.createLinkCode("old", for: phone.user, expiresAtMs: 0)
      await #expect(throws: RelayError.self) { try await fixture.register("alice@localhost/tablet", link: "old") }
      #expect(try await fixture.store.devices(of: phone.user).count == 2)
    }
  }

  @Test(arguments: StoreBackend.all)
  func concurrentPrekeyClaims(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let bob = try await fixture.register("bob@localhost/phone", oneTime: 25)
      let store = fixture.store
      let bundles = try await withThrowingTaskGroup(of: Relay_V1_PrekeyBundle.self) { group in
        for _ in 0 ..< 40 {
          group.addTask { try await store.claimPrekeyBundles(user: bob.user, deviceID: nil)[0] }
        }
        return try await group.reduce(into: []) { $0.append($1) }
      }
      let claimed = bundles.filter { !$0.oneTimePrekeysExhausted }.map(\.oneTimePrekey.keyID)
      #expect(claimed.count == 25 && Set(claimed).count == 25)
      #expect(bundles.filter(\.kemPrekeyIsLastResort).count == 15)
    }
  }

  @Test("group commit: each send succeeds or fails alone; a failure writes nothing", arguments: StoreBackend.all)
  func groupCommit(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let eve = try await fixture.register("eve@localhost/phone")
      let chat = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
      let retried = newMessageID()
      let results = try await fixture.store.commit(
        [
          fixture.send(alice, chat.id, to: [bob], id: retried),
          fixture.send(alice, chat.id, to: [bob, eve]),  // stale device
          fixture.send(eve, chat.id, to: [alice, bob]),  // not a member
          fixture.send(alice, "missing", to: [bob]),  // no such conversation
          fixture.send(bob, chat.id, to: [alice]),
          fixture.send(alice, chat.id, to: [bob], id: retried),  // retry in the same batch
          fixture.send(bob, "missing", to: [alice]),  // still no such conversation (its members read once a batch)
        ], clock: fixture.clock)
      let seqs = results.map { (try? $0.get())?.result.seq }
      #expect(seqs == [1, nil, nil, nil, 2, 1, nil])
      let codes = results.map { result -> RelayError.Code? in
        if case .failure(let error) = result { return error.code }
        return nil
      }
      #expect(codes == [nil, .failedPrecondition, .permissionDenied, .notFound, nil, nil, .notFound])
      if case .failure(let mismatch) = results[1] {
        #expect(mismatch.deviceMismatch == .init(missing: [], stale: [eve.description]))
      }
      #expect((try? results[5].get())?.result.duplicate == true)
      let outcomes = results.compactMap { try? $0.get() }
      #expect(outcomes[0].result.hlc < outcomes[1].result.hlc)
      // Only the two good sends reached mailboxes.
      let bobBox = try await fixture.store.mailbox(of: bob, after: 0, limit: 10)
      #expect(bobBox.map(\.envelope.seq) == [1])
      #expect(try await fixture.store.mailbox(of: eve, after: 0, limit: 10).isEmpty)
      let conversation = try await fixture.store.conversation(id: chat.id, viewer: bob.user)
      #expect(conversation.lastSeq == 2 && conversation.unreadCount == 1)
    }
  }

  @Test(
    "an ack or a read mark makes one receipt per conversation and sender, for its newest message",
    arguments: StoreBackend.all)
  func cumulativeReceipts(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let carol = try await fixture.register("carol@localhost/phone")
      let group = try await fixture.conversation(
        .group, creator: "alice@localhost", others: ["bob@localhost", "carol@localhost"])
      let direct = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
      // Bob's mailbox: group 1 (alice), group 2 (carol), direct 1 (alice), group 3 (alice), group 4 (carol).
      for (sender, chat, others) in [
        (alice, group.id, [bob, carol]), (carol, group.id, [alice, bob]), (alice, direct.id, [bob]),
        (alice, group.id, [bob, carol]), (carol, group.id, [alice, bob]),
      ] {
        _ = try await fixture.store.commit([fixture.send(sender, chat, to: others)], clock: fixture.clock)
      }
      let bells = try await fixture.store.acknowledge(device: bob, upTo: 4, nowMs: 10)
      #expect(bells.count == 3)  // alice: group up to 3 and direct up to 1; carol: group up to 2
      let toAlice = try await fixture.receipts(of: alice)
      #expect(toAlice.map { [$0.conversationID: $0.seq] } == [[group.id: 3], [direct.id: 1]])
      let toCarol = try await fixture.receipts(of: carol)
      #expect(toCarol.map(\.seq) == [2])
      #expect(toCarol.allSatisfy { $0.status == .delivered && $0.by == bob.description })

      // Reading the group up to 4 covers carol's 2 and 4 and alice's 1 and 3: one receipt each.
      let read = try await fixture.store.markRead(device: bob, conversationID: group.id, upToSeq: 4, nowMs: 20)
      #expect(read.count == 2)
      #expect(try await fixture.receipts(of: carol).filter { $0.status == .read }.map(\.seq) == [4])
    }
  }

  @Test("mailbox cursors, acks, delivered and read receipts", arguments: StoreBackend.all)
  func mailboxAndReceipts(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      try await fixture.store.createLinkCode("l", for: alice.user, expiresAtMs: .max)
      let laptop = try await fixture.register("alice@localhost/laptop", link: "l")
      let bob = try await fixture.register("bob@localhost/phone")
      let chat = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
      let sends = (0 ..< 5).map { _ in fixture.send(alice, chat.id, to: [bob, laptop]) }
      _ = try await fixture.store.commit(sends, clock: fixture.clock)
      #expect(try await fixture.store.mailboxDepth() == 10)

      let page = try await fixture.store.mailbox(of: bob, after: 0, limit: 3)
      #expect(page.map(\.envelope.cursor) == [1, 2, 3])
      #expect(page.map(\.envelope.ciphertext) == Array(repeating: Data("c-\(bob)".utf8), count: 3))
      let next = try await fixture.store.mailbox(of: bob, after: 3, limit: 3)
      #expect(next.map(\.envelope.cursor) == [4, 5])

      await #expect(throws: RelayError.self) { _ = try await fixture.store.acknowledge(device: bob, upTo: 6, nowMs: 1) }
      let bells = try await fixture.store.acknowledge(device: bob, upTo: 2, nowMs: 50)
      #expect(Set(bells.map(\.device)) == [alice, laptop])
      #expect(try await fixture.store.ackedCursor(of: bob) == 2)
      await #expect(throws: RelayError.self) { _ = try await fixture.store.acknowledge(device: bob, upTo: 2, nowMs: 1) }
      #expect(try await fixture.store.mailbox(of: bob, after: 0, limit: 10).map(\.envelope.cursor) == [3, 4, 5])
      // The laptop's copies are its own user's: acking them makes no receipts.
      #expect(try await fixture.store.acknowledge(device: laptop, upTo: 5, nowMs: 1).isEmpty)

      let read = try await fixture.store.markRead(device: bob, conversationID: chat.id, upToSeq: 4, nowMs: 60)
      #expect(read.count == 2)  // one cumulative receipt x 2 sender devices
      #expect(try await fixture.store.markRead(device: bob, conversationID: chat.id, upToSeq: 3, nowMs: 60).isEmpty)
      await #expect(throws: RelayError.self) {
        _ = try await fixture.store.markRead(device: bob, conversationID: chat.id, upToSeq: 9, nowMs: 60)
      }
      let receipts = try await fixture.store.mailbox(of: alice, after: 0, limit: 20).map(\.receipt)
      // Cumulative: "delivered up to seq 2", "read up to seq 4".
      #expect(receipts.map(\.status) == [.delivered, .read])
      #expect(receipts.map(\.seq) == [2, 4])
      #expect(receipts.allSatisfy { $0.by == bob.description })
      #expect(try await fixture.store.conversation(id: chat.id, viewer: bob.user).unreadCount == 1)
    }
  }

  @Test("history in display order, paged; conversations by recent activity, paged", arguments: StoreBackend.all)
  func historyAndListing(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      var chats = [String]()
      for name in ["c1", "c2", "c3"] {
        let user = try await fixture.register("\(name)@localhost/phone")
        chats.append(
          try await fixture.conversation(.direct, creator: "alice@localhost", others: [user.user.description]).id)
      }
      let group = try await fixture.conversation(.group, creator: "alice@localhost", others: ["bob@localhost"])
      for _ in 0 ..< 5 {
        _ = try await fixture.store.commit([fixture.send(alice, group.id, to: [bob])], clock: fixture.clock)
      }
      let first = try await fixture.store.history(
        conversationID: group.id, device: bob, page: .init(size: 3, token: ""))
      let second = try await fixture.store.history(
        conversationID: group.id, device: bob, page: .init(size: 3, token: first.nextToken))
      #expect((first.items + second.items).map(\.seq) == [1, 2, 3, 4, 5])
      #expect(second.nextToken.isEmpty)
      // The sender has no copies addressed to itself.
      #expect(
        try await fixture.store.history(conversationID: group.id, device: alice, page: .init(size: 9, token: "")).items
          .isEmpty)

      let listed = try await fixture.store.conversations(of: alice.user, page: .init(size: 2, token: ""))
      #expect(listed.items.first?.id == group.id)  // most recent activity
      let rest = try await fixture.store.conversations(of: alice.user, page: .init(size: 2, token: listed.nextToken))
      #expect(Set((listed.items + rest.items).map(\.id)) == Set(chats + [group.id]))
      #expect(rest.nextToken.isEmpty)
      #expect(try await fixture.store.sharesConversation(alice.user, bob.user))
      #expect(try await !fixture.store.sharesConversation(bob.user, try UserAddress(parsing: "c1@localhost")))
    }
  }

  @Test(
    "two nodes sending to one conversation at once: no collision, and a reader never sees a gap",
    arguments: StoreBackend.all)
  func concurrentNodes(_ backend: StoreBackend) async throws {
    try await backend.withStores(2) { stores in
      let fixture = StoreFixture(store: stores[0])
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let carol = try await fixture.register("carol@localhost/phone")
      let group = try await fixture.conversation(
        .group, creator: "alice@localhost", others: ["bob@localhost", "carol@localhost"])
      let batches = 20
      let perBatch = 5
      // Two "nodes" (stores on one database) commit batches at once, while
      // carol's device reads its mailbox as a syncing device would.
      let seen = try await withThrowingTaskGroup(of: [UInt64].self) { tasks in
        for (node, sender, others) in [(0, alice, [bob, carol]), (1, bob, [alice, carol])] {
          tasks.addTask {
            for _ in 0 ..< batches {
              let sends = (0 ..< perBatch).map { _ in fixture.send(sender, group.id, to: others) }
              for result in try await stores[node].commit(sends, clock: fixture.clock) { _ = try result.get() }
            }
            return []
          }
        }
        tasks.addTask {
          var cursors = [UInt64]()
          while cursors.count < 2 * batches * perBatch {
            let page = try await stores[1].mailbox(of: carol, after: cursors.last ?? 0, limit: 50)
            cursors += page.map(\.envelope.cursor)
            if page.isEmpty { try await Task.sleep(for: .milliseconds(2)) }
          }
          return cursors
        }
        return try await tasks.reduce(into: []) { $0 += $1 }
      }
      let total = UInt64(2 * batches * perBatch)
      #expect(seen == Array(1 ... total))
      let envelopes = try await fixture.store.mailbox(of: carol, after: 0, limit: 1000).map(\.envelope)
      #expect(envelopes.map(\.seq).sorted() == Array(1 ... total))
      #expect(envelopes.map(\.seq) == envelopes.map(\.seq).sorted())
      let record = try await stores[1].conversation(id: group.id, viewer: carol.user)
      #expect(record.lastSeq == total)
    }
  }
}
