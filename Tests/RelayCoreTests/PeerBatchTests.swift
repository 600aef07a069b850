import Testing
import Wire

@testable import RelayCore

@Suite("A peer's batch: what each event's check and result make of the acknowledgement, on either backend")
struct PeerBatchTests {
  let rules = FederationRules(localDomain: "a.test", maxEnvelopeBytes: 1024, maxCopies: 8, maxMembers: 16)

  @Test("an event is checked by its kind; an empty one or one for another domain is refused")
  func checks() throws {
    let empty = #expect(throws: RelayError.self) { try self.rules.check(Relay_V1_FederationEvent(), from: "b.test") }
    #expect(empty?.code == .invalidArgument)
    #expect(empty?.message == "an empty federation event")
    var list = Relay_V1_FederationEvent()
    list.deviceList.user = "bob@b.test"
    guard case .deviceList(_, let user) = try self.rules.check(list, from: "b.test") else {
      Issue.record("a device list checks as a device list")
      return
    }
    #expect(user.description == "bob@b.test")
    let forged = #expect(throws: RelayError.self) { try self.rules.check(list, from: "c.test") }
    #expect(forged?.code == .permissionDenied)
  }

  @Test("applied and rejected events are acknowledged; a deferred one stops the batch unacknowledged")
  func outcome() throws {
    let bell = Doorbell(device: try DeviceAddress(parsing: "alice@a.test/phone"), cursor: 7)
    var outcome = ReplicationOutcome()
    let goesOn = [
      outcome.record(4, .applied([bell])), outcome.record(5, .rejected(RelayError(.permissionDenied, "forged"))),
      outcome.record(6, .applied([])), outcome.record(7, .deferred),
    ]
    #expect(goesOn == [true, true, true, false])
    #expect(outcome.throughID == 6)
    #expect(outcome.deferred)
    #expect(outcome.doorbells == [bell])
    #expect(outcome.rejected.map(\.message) == ["forged"])
    // Deferred at the first event: nothing is acknowledged.
    var first = ReplicationOutcome()
    let stops = !first.record(1, .deferred)
    #expect(stops)
    #expect(first.throughID == 0)
  }

  @Test("the version vector moves only without a gap, past the messages that came ahead")
  func versionVector() {
    // Ahead of a gap: unchanged.
    #expect(VersionVector.advanced(contiguous: 3, applied: 5, laterPresent: []) == nil)
    // The next one: through it.
    #expect(VersionVector.advanced(contiguous: 3, applied: 4, laterPresent: []) == 4)
    // Filling a gap: through the run that arrived ahead, up to the next gap.
    #expect(VersionVector.advanced(contiguous: 3, applied: 4, laterPresent: [5, 6, 8, 9]) == 6)
    #expect(VersionVector.advanced(contiguous: 0, applied: 1, laterPresent: [2, 3]) == 3)
  }

  @Test("a conversation goes to every other member's relay and to those its users left, with the home's devices")
  func conversationReplication() throws {
    let members = try ["ann@a.test", "bob@b.test", "cid@c.test", "dan@a.test", "eve@b.test"].map {
      try UserAddress(parsing: $0)
    }
    let single = RelayMap(local: nil)
    let plan = ConversationReplication(
      home: "a.test", members: members, alsoTo: ["d.test", "a.test"], relays: single)
    #expect(plan.peers == ["b.test", "c.test", "d.test"])
    #expect(plan.announced.map(\.description) == ["ann@a.test", "dan@a.test"])
    let local = ConversationReplication(home: "a.test", members: [members[0], members[3]], relays: single)
    #expect(local.peers.isEmpty)
    #expect(local.announced.isEmpty)
    let peers = ConversationReplication.deviceListPeers(of: members[0], coMembers: members, relays: single)
    #expect(peers == ["b.test", "c.test"])

    // On region eu of a.test, where dan is homed in us: his region is a relay of its own.
    var regions = RelayMap(local: LocalRegion(domain: "a.test", name: "eu"))
    regions.homes[members[3]] = "us"
    let fromEU = ConversationReplication(home: "a.test#eu", members: members, relays: regions)
    #expect(fromEU.peers == ["a.test#us", "b.test", "c.test"])
    #expect(fromEU.announced.map(\.description) == ["ann@a.test"])
    #expect(
      ConversationReplication.deviceListPeers(of: members[0], coMembers: members, relays: regions)
        == ["a.test#us", "b.test", "c.test"])
  }
}

@Suite("Home claims: one winner per user, whatever the order")
struct HomeClaimOrderTests {
  @Test("the higher version wins; at equal versions the earlier clock, then the lower region name")
  func order() throws {
    let user = try UserAddress(parsing: "alice@example.test")
    let claims = [
      HomeClaim(user: user, region: "us", claimedHLC: 5, version: 1),
      HomeClaim(user: user, region: "eu", claimedHLC: 5, version: 1),
      HomeClaim(user: user, region: "ap", claimedHLC: 9, version: 1),
      HomeClaim(user: user, region: "us", claimedHLC: 99, version: 2),
    ]
    let winner = claims[3]
    for claim in claims where claim != winner {
      #expect(winner.wins(over: claim) && !claim.wins(over: winner))
    }
    #expect(claims[1].wins(over: claims[0]) && !claims[0].wins(over: claims[1]), "lower region at an equal clock")
    #expect(claims[0].wins(over: claims[2]), "the earlier clock")
    #expect(!claims[0].wins(over: claims[0]), "a claim never wins over itself")
    // Applied in every order, the claims leave the same winner.
    for order in [claims, claims.reversed(), [claims[2], claims[0], claims[3], claims[1]]] {
      var kept: HomeClaim?
      for claim in order where claim.replaces(kept) { kept = claim }
      #expect(kept == winner)
    }
  }
}
