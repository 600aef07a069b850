import Foundation
import TLSIdentity
import Testing
import Wire

@testable import RelayCore
@testable import RelayTestSupport

/// The directory of homes of a domain with several regions (docs/regions.md),
/// on every backend: what a registration claims, which claim of another
/// region wins, and what is refused.
@Suite("Storage contract: the directory of homes", .timeLimit(Patience.minutes(3)))
struct HomeDirectoryContractTests {
  static let rules = FederationRules(localDomain: "localhost", maxEnvelopeBytes: 1024, maxCopies: 16, maxMembers: 16)

  @Test(
    "a registration claims a new user's home and queues the claim for every other region; a later claim loses, an earlier or newer one wins (once)",
    arguments: StoreBackend.all)
  func claims(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let alice = try UserAddress(parsing: "alice@localhost")
      let mine = HomeClaim(user: alice, region: "eu", claimedHLC: 100, version: 1)
      let siblings = ["localhost#ap", "localhost#us"]
      try await fixture.register("alice@localhost/phone", home: HomeRegistration(claim: mine, siblings: siblings))
      #expect(try await store.home(of: alice) == mine)
      for sibling in siblings {
        let queued = try await store.outbox(for: sibling, after: 0, limit: 10)
        #expect(queued.first?.event == mine.event, "the claim is queued for \(sibling)")
        #expect(queued.count == 2 && queued[1].event.regionDevices.user == "alice@localhost", "then the device keys")
        #expect(queued[1].event.regionDevices.fingerprints.count == 1)
      }

      // us claimed alice later: eu's claim stands.
      let later = HomeClaim(user: alice, region: "us", claimedHLC: 200, version: 1)
      var outcome = try await store.apply([Self.entry(1, later)], from: "localhost#us", rules: Self.rules)
      #expect(outcome.throughID == 1 && outcome.rejected.isEmpty && outcome.rehomed.isEmpty)
      #expect(try await store.home(of: alice) == mine)

      // ap claimed alice earlier: ap wins, once.
      let earlier = HomeClaim(user: alice, region: "ap", claimedHLC: 50, version: 1)
      outcome = try await store.apply([Self.entry(1, earlier)], from: "localhost#ap", rules: Self.rules)
      #expect(outcome.rehomed == [earlier])
      outcome = try await store.apply([Self.entry(1, earlier)], from: "localhost#ap", rules: Self.rules)
      #expect(outcome.throughID == 1 && outcome.rehomed.isEmpty, "a replay changes nothing")
      #expect(try await store.home(of: alice) == earlier)

      // A newer version (a move) wins over an earlier claim.
      let moved = HomeClaim(user: alice, region: "us", claimedHLC: 900, version: 2)
      outcome = try await store.apply([Self.entry(2, moved)], from: "localhost#us", rules: Self.rules)
      #expect(outcome.rehomed == [moved])

      // eu no longer homes alice: another device of hers is refused here, naming the home; nothing is written.
      let refused = await #expect(throws: RelayError.self) {
        try await fixture.register(
          "alice@localhost/laptop", home: HomeRegistration(claim: mine, siblings: siblings))
      }
      #expect(refused?.code == .failedPrecondition)
      #expect(refused?.message == "alice@localhost is homed in region us: connect there")
      #expect(refused?.home?.region == "us")
      #expect(try await store.devices(of: alice).map(\.address.deviceID) == ["phone"])
    }
  }

  @Test(
    "a claim from a relay of another domain, or for another region than the sender's, or for another domain's user, is refused",
    arguments: StoreBackend.all)
  func forgedClaims(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let bob = try UserAddress(parsing: "bob@localhost")
      let forged: [(HomeClaim, String)] = [
        (HomeClaim(user: bob, region: "b", claimedHLC: 1, version: 1), "b.test"),
        (HomeClaim(user: bob, region: "ap", claimedHLC: 1, version: 1), "localhost#us"),
        (
          HomeClaim(user: try UserAddress(parsing: "bob@b.test"), region: "us", claimedHLC: 1, version: 1),
          "localhost#us"
        ),
        (HomeClaim(user: bob, region: "us", claimedHLC: 1, version: 0), "localhost#us"),
        (HomeClaim(user: bob, region: "us", claimedHLC: UInt64.max, version: 1), "localhost#us"),
      ]
      for (claim, peer) in forged {
        let outcome = try await store.apply([Self.entry(1, claim)], from: peer, rules: Self.rules)
        #expect(outcome.throughID == 1 && outcome.rejected.count == 1, "\(claim) from \(peer) is refused")
      }
      #expect(try await store.home(of: bob) == nil)

      // Device keys: from the user's home region only, 32 bytes each.
      let key = Fingerprint(bytes: Array(randomBytes(32)))
      let claim = HomeClaim(user: bob, region: "us", claimedHLC: 1, version: 1)
      var short = Relay_V1_FederationEvent.regionDevices(of: bob, [key])
      short.regionDevices.fingerprints[0].removeLast()
      let keysOf: [(Relay_V1_FederationEvent, String)] = [
        (Relay_V1_FederationEvent.regionDevices(of: bob, [key]), "b.test"),
        (Relay_V1_FederationEvent.regionDevices(of: bob, [key]), "localhost#ap"),
        (short, "localhost#us"),
      ]
      _ = try await store.apply([Self.entry(1, claim)], from: "localhost#us", rules: Self.rules)
      for (event, peer) in keysOf {
        var entry = Relay_V1_OutboxEvent()
        entry.id = 2
        entry.event = event
        let outcome = try await store.apply([entry], from: peer, rules: Self.rules)
        #expect(outcome.throughID == 2 && outcome.rejected.count == 1, "device keys from \(peer) are refused")
      }
      #expect(try await store.regionDevice(fingerprint: key) == nil)
      var keys = Relay_V1_OutboxEvent()
      keys.id = 3
      keys.event = Relay_V1_FederationEvent.regionDevices(of: bob, [key])
      _ = try await store.apply([keys], from: "localhost#us", rules: Self.rules)
      #expect(try await store.regionDevice(fingerprint: key) == bob)
    }
  }

  @Test(
    "from another region: a conversation it owns and a message from a user homed there apply; a message from a user homed elsewhere is refused",
    arguments: StoreBackend.all)
  func eventsFromARegion(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let alice = try await fixture.register("alice@localhost/phone")
      let us = "localhost#us"
      let bob = try UserAddress(parsing: "bob@localhost")
      var state = Relay_V1_FederationEvent()
      state.conversation.id = "us-group"
      state.conversation.kind = .group
      state.conversation.homeRelay = us
      state.conversation.createdBy = bob.description
      state.conversation.version = 1
      state.conversation.members = ["alice@localhost", "bob@localhost", "carol@localhost"].map { user in
        var member = Relay_V1_Member()
        member.user = user
        return member
      }
      var fromBob = FederationStoreContractTests.message("us-group", seq: 1, to: alice, origin: us)
      fromBob.message.sender = "bob@localhost/phone"
      var fromCarol = FederationStoreContractTests.message("us-group", seq: 2, to: alice, origin: us)
      fromCarol.message.sender = "carol@localhost/phone"
      let claim = HomeClaim(user: bob, region: "us", claimedHLC: 1, version: 1)
      let outcome = try await store.apply(
        [
          Self.entry(1, claim), FederationStoreContractTests.entry(2, state),
          FederationStoreContractTests.entry(3, fromBob), FederationStoreContractTests.entry(4, fromCarol),
        ], from: us, rules: Self.rules)
      #expect(outcome.throughID == 4)
      #expect(outcome.rejected.map(\.message) == ["a region may only speak for the users homed in it"])
      #expect(outcome.doorbells.map(\.device) == [alice], "bob's message reached alice's mailbox")
    }
  }

  @Test(
    "a relay that becomes a region claims the users registered before, and sends each other region the whole directory once",
    arguments: StoreBackend.all)
  func directorySync(_ backend: StoreBackend) async throws {
    try await backend.withFixture { fixture in
      let store = try #require(fixture.store as? any FederationStore)
      let phone = try await fixture.register("alice@localhost/phone")
      try await fixture.store.createLinkCode("sync", for: phone.user, expiresAtMs: 100)
      try await fixture.register("alice@localhost/laptop", link: "sync")
      let eu = LocalRegion(domain: "localhost", name: "eu")
      #expect(try await store.syncDirectory(region: eu, siblings: ["localhost#us"], nowMs: 5) == 1)
      let alice = try UserAddress(parsing: "alice@localhost")
      let home = try #require(try await store.home(of: alice))
      #expect(home.region == "eu" && home.version == 1)
      #expect(home.claimedHLC == HybridLogicalClock.State.physical(1), "claimed as of the first registration")
      let toUS = try await store.outbox(for: "localhost#us", after: 0, limit: 10)
      #expect(toUS.map(\.event) == [home.event, toUS.last!.event])
      #expect(toUS.last?.event.regionDevices.fingerprints.count == 2)

      // Again, with a region added: only the new one gets the directory.
      #expect(try await store.syncDirectory(region: eu, siblings: ["localhost#us", "localhost#za"], nowMs: 6) == 0)
      #expect(try await store.outbox(for: "localhost#us", after: 0, limit: 10).count == 2)
      #expect(
        try await store.outbox(for: "localhost#za", after: 0, limit: 10).map(\.event.homeClaim) == [
          home.event.homeClaim, Relay_V1_HomeClaim(),
        ])
    }
  }

  static func entry(_ id: UInt64, _ claim: HomeClaim) -> Relay_V1_OutboxEvent {
    var entry = Relay_V1_OutboxEvent()
    entry.id = id
    entry.event = claim.event
    return entry
  }
}
