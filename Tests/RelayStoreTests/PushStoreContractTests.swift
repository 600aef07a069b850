import Foundation
import Testing
import Wire

@testable import RelayCore
@testable import RelayTestSupport

/// The wake-up queue (docs/push.md), on each backend: what is due, claims on
/// a lease, and what each result leaves behind.
@Suite("Storage contract: push wake-ups", .timeLimit(Patience.minutes(3)))
struct PushStoreContractTests {
  @Test("a device is due once its mailbox holds entries past its ack and its last wake-up", arguments: StoreBackend.all)
  func dueAndClaimed(_ backend: StoreBackend) async throws {
    try await backend.withStores(2) { stores in
      let fixture = StoreFixture(store: stores[0])
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let carol = try await fixture.register("carol@localhost/phone")
      let chat = try await fixture.conversation(
        .group, creator: "alice@localhost", others: ["bob@localhost", "carol@localhost"])
      let endpoint = PushEndpoint(kind: .webhook, token: "tok-bob", secret: Data([1, 2, 3]))
      try await fixture.store.setPushEndpoint(endpoint, for: bob)
      // No entries: nothing due.
      #expect(try await fixture.store.claimWakeUps(devices: nil, nowMs: 1000, leaseMs: 100, limit: 10).isEmpty)

      _ = try await fixture.store.commit(
        (0 ..< 3).map { _ in fixture.send(alice, chat.id, to: [bob, carol]) }, clock: fixture.clock)
      #expect(try await fixture.store.wakeUpsPending() == 1)
      // Carol has entries but no endpoint; Bob is due, with three waiting.
      let claimed = try await stores[1].claimWakeUps(devices: [bob, carol], nowMs: 1000, leaseMs: 100, limit: 10)
      #expect(claimed.map(\.device) == [bob])
      #expect(claimed.first?.endpoint == endpoint)
      #expect(claimed.first?.waiting == 3)
      #expect(claimed.first?.head == 3)
      // Claimed: no one else gets it while the lease holds, from any store.
      #expect(try await stores[0].claimWakeUps(devices: nil, nowMs: 1050, leaseMs: 100, limit: 10).isEmpty)
      // A lapsed lease (a node died mid-call): claimed again.
      let again = try await stores[0].claimWakeUps(devices: nil, nowMs: 1101, leaseMs: 100, limit: 10)
      #expect(again.map(\.device) == [bob])

      // Sent: nothing more for what it covered, nor for new entries before the interval...
      try await fixture.store.finishWakeUp(again[0], .sent(nextAtMs: 5000))
      #expect(try await fixture.store.wakeUpsPending() == 0)
      #expect(try await fixture.store.claimWakeUps(devices: nil, nowMs: 1200, leaseMs: 100, limit: 10).isEmpty)
      _ = try await fixture.store.commit([fixture.send(alice, chat.id, to: [bob, carol])], clock: fixture.clock)
      #expect(try await fixture.store.claimWakeUps(devices: [bob], nowMs: 1300, leaseMs: 100, limit: 10).isEmpty)
      // ...after it, the new entries are due: four waiting.
      let later = try await fixture.store.claimWakeUps(devices: nil, nowMs: 5000, leaseMs: 100, limit: 10)
      #expect(later.map(\.waiting) == [4])

      // A failure is retried at its time, with the attempt counted.
      try await fixture.store.finishWakeUp(later[0], .retry(nextAtMs: 6000))
      #expect(try await fixture.store.claimWakeUps(devices: nil, nowMs: 5500, leaseMs: 100, limit: 10).isEmpty)
      let retried = try await fixture.store.claimWakeUps(devices: nil, nowMs: 6000, leaseMs: 100, limit: 10)
      #expect(retried.map(\.attempts) == [1])
      try await fixture.store.finishWakeUp(retried[0], .sent(nextAtMs: 60_000))

      // A device that caught up since its last wake-up is woken at once for new entries.
      _ = try await fixture.store.acknowledge(device: bob, upTo: 4, nowMs: 6100)
      _ = try await fixture.store.commit([fixture.send(alice, chat.id, to: [bob, carol])], clock: fixture.clock)
      let fresh = try await fixture.store.claimWakeUps(devices: nil, nowMs: 6200, leaseMs: 100, limit: 10)
      #expect(fresh.map(\.waiting) == [1])
      // Skipped (the device was connected): released unchanged, due again.
      try await fixture.store.finishWakeUp(fresh[0], .skipped)
      #expect(try await fixture.store.claimWakeUps(devices: nil, nowMs: 6201, leaseMs: 100, limit: 10).count == 1)
    }
  }

  @Test("an endpoint is replaced, removed, and gone when the gateway says so", arguments: StoreBackend.all)
  func endpoints(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let alice = try await fixture.register("alice@localhost/phone")
      let bob = try await fixture.register("bob@localhost/phone")
      let chat = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
      #expect(try await fixture.store.removePushEndpoint(for: bob) == false)
      try await fixture.store.setPushEndpoint(PushEndpoint(kind: .webhook, token: "one"), for: bob)
      try await fixture.store.setPushEndpoint(PushEndpoint(kind: .webhook, token: "two"), for: bob)
      #expect(try await fixture.store.pushEndpoint(for: bob)?.token == "two")
      #expect(try await fixture.store.pushEndpoint(for: alice) == nil)
      _ = try await fixture.store.commit([fixture.send(alice, chat.id, to: [bob])], clock: fixture.clock)
      let claimed = try await fixture.store.claimWakeUps(devices: nil, nowMs: 10, leaseMs: 100, limit: 10)
      #expect(claimed.map(\.endpoint.token) == ["two"])
      #expect(claimed.first?.endpoint.secret.isEmpty == true)
      try await fixture.store.finishWakeUp(claimed[0], .gone)
      #expect(try await fixture.store.removePushEndpoint(for: bob) == false)
      #expect(try await fixture.store.claimWakeUps(devices: nil, nowMs: 1000, leaseMs: 100, limit: 10).isEmpty)
      try await fixture.store.setPushEndpoint(PushEndpoint(kind: .webhook, token: "three"), for: bob)
      #expect(try await fixture.store.removePushEndpoint(for: bob) == true)
    }
  }
}
