import Foundation
import Testing
import Wire

@testable import RelayCore

/// The domain's gateway region (docs/regions.md, "Other domains"): what it
/// passes on, and what the rules accept from it and from the domain it serves.
@Suite("Gateway region: forwarding across domains")
struct GatewayForwardingTests {
  static let eu = LocalRegion(domain: "example.test", name: "eu", gateway: "eu")
  static let us = LocalRegion(domain: "example.test", name: "us", gateway: "eu")

  static func rules(_ region: LocalRegion?, domain: String = "example.test") -> FederationRules {
    FederationRules(localDomain: domain, maxEnvelopeBytes: 1024, maxCopies: 8, maxMembers: 16, region: region)
  }

  static func message(from sender: String, origin: String, to devices: [String]) -> Relay_V1_FederationEvent {
    var event = Relay_V1_FederationEvent()
    event.message.conversationID = "c0ffee00-0000-4000-8000-000000000001"
    event.message.messageID = "01a2416f-bb6f-7d61-9b29-8229342f87c0"
    event.message.sender = sender
    event.message.originRelay = origin
    event.message.originSeq = 1
    event.message.copies = devices.map { device in
      var copy = Relay_V1_SealedCopy()
      copy.device = device
      copy.ciphertext = Data([1])
      return copy
    }
    return event
  }

  @Test("another domain's message goes on to the regions homing its recipients, each with only its own copies")
  func fromAnotherDomain() throws {
    let rules = Self.rules(Self.eu)
    let wire = Self.message(
      from: "dave@other.test/phone", origin: "other.test",
      to: ["alice@example.test/phone", "bob@example.test/phone", "bob@example.test/laptop"])
    let event = try rules.check(wire, from: "other.test")
    let forwarding = try #require(GatewayForwarding(rules: rules, from: "other.test"))
    var relays = RelayMap(local: Self.eu)
    let (alice, bob, dave) = try (
      UserAddress(parsing: "alice@example.test"), UserAddress(parsing: "bob@example.test"),
      UserAddress(parsing: "dave@other.test")
    )
    relays.homes = [alice: "eu", bob: "us"]
    let forwards = forwarding.forwards(event, wire: wire, audience: [alice, bob, dave], relays: relays)
    #expect(forwards.map(\.relay) == ["example.test#us"])
    #expect(
      forwards.first?.event.message.copies.map(\.device) == ["bob@example.test/phone", "bob@example.test/laptop"])
    #expect(forwarding.appliesHere(event, relays: relays))

    // us takes it from the gateway (a message of another domain's origin), not from another region.
    let atUS = Self.rules(Self.us)
    _ = try atUS.check(forwards[0].event, from: "example.test#eu")
    let error = #expect(throws: RelayError.self) { try atUS.check(forwards[0].event, from: "example.test#ap") }
    #expect(error?.code == .permissionDenied)
  }

  @Test("a region's message goes on to the other domain, with the copies for its devices; never to another region")
  func fromARegion() throws {
    let rules = Self.rules(Self.eu)
    let wire = Self.message(
      from: "bob@example.test/phone", origin: "example.test#us",
      to: ["dave@other.test/phone", "alice@example.test/phone"])
    let event = try rules.check(wire, from: "example.test#us")
    let forwarding = try #require(GatewayForwarding(rules: rules, from: "example.test#us"))
    var relays = RelayMap(local: Self.eu)
    let (alice, bob, carol, dave) = try (
      UserAddress(parsing: "alice@example.test"), UserAddress(parsing: "bob@example.test"),
      UserAddress(parsing: "carol@example.test"), UserAddress(parsing: "dave@other.test")
    )
    relays.homes = [alice: "eu", bob: "us", carol: "ap"]
    let forwards = forwarding.forwards(event, wire: wire, audience: [alice, bob, carol, dave], relays: relays)
    #expect(forwards.map(\.relay) == ["other.test"])
    #expect(forwards.first?.event.message.copies.map(\.device) == ["dave@other.test/phone"])
    // other.test takes it from its one entry for example.test, whatever region it comes from.
    _ = try Self.rules(nil, domain: "other.test").check(forwards[0].event, from: "example.test")
    // A region that is not the gateway takes no copies for another domain's devices.
    let error = #expect(throws: RelayError.self) { try Self.rules(Self.us).check(wire, from: "example.test#ap") }
    #expect(error?.code == .permissionDenied)
  }

  @Test("a receipt for a sender in another region only passes the gateway; home claims stay; no gateway, no forwarding")
  func receiptsAndClaims() throws {
    let rules = Self.rules(Self.eu)
    var wire = Relay_V1_FederationEvent()
    wire.receipt.conversationID = "c0ffee00-0000-4000-8000-000000000001"
    wire.receipt.messageID = "01a2416f-bb6f-7d61-9b29-8229342f87c0"
    wire.receipt.sender = "bob@example.test/phone"
    wire.receipt.by = "dave@other.test/phone"
    wire.receipt.status = .read
    let event = try rules.check(wire, from: "other.test")
    var relays = RelayMap(local: Self.eu)
    relays.homes[try UserAddress(parsing: "bob@example.test")] = "us"
    let forwarding = try #require(GatewayForwarding(rules: rules, from: "other.test"))
    let audience = try [UserAddress(parsing: "bob@example.test")]
    #expect(
      forwarding.forwards(event, wire: wire, audience: audience, relays: relays).map(\.relay) == ["example.test#us"])
    #expect(!forwarding.appliesHere(event, relays: relays))
    var claim = Relay_V1_FederationEvent()
    claim.homeClaim.user = "bob@example.test"
    claim.homeClaim.region = "us"
    claim.homeClaim.claimedHlc = 1
    claim.homeClaim.version = 1
    let fromUS = try #require(GatewayForwarding(rules: rules, from: "example.test#us"))
    #expect(
      fromUS.forwards(try rules.check(claim, from: "example.test#us"), wire: claim, audience: [], relays: relays)
        .isEmpty)
    #expect(GatewayForwarding(rules: Self.rules(Self.us), from: "example.test#eu") == nil)
    #expect(GatewayForwarding(rules: Self.rules(nil), from: "other.test") == nil)
  }

  @Test("a relay of another domain routes through the gateway; one that is no region routes by domain")
  func routing() throws {
    let dave = try UserAddress(parsing: "dave@other.test")
    #expect(RelayMap(local: Self.us).relay(of: dave) == "example.test#eu")
    #expect(RelayMap(local: Self.eu).relay(of: dave) == "other.test")
    #expect(RelayMap(local: nil).relay(of: try UserAddress(parsing: "bob@example.test")) == "example.test")
  }
}
