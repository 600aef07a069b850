import Foundation
import Testing
import Wire

@testable import RelayCore

/// What the rules accept of a move between regions (docs/regions.md,
/// "Moving a user"): a transfer only from another region of the domain,
/// naming the receiver, every part well-formed and the user's own; a
/// forward only of the moved user's copies or receipts.
@Suite("Regions: the rules of a move")
struct MoveRulesTests {
  static let us = LocalRegion(domain: "example.test", name: "us", siblings: ["eu", "ap"])
  static let rules = FederationRules(
    localDomain: "example.test", maxEnvelopeBytes: 1024, maxCopies: 8, maxMembers: 16, region: Self.us)

  static var transfer: Relay_V1_UserTransfer {
    var transfer = Relay_V1_UserTransfer()
    transfer.claim.user = "alice@example.test"
    transfer.claim.region = "us"
    transfer.claim.claimedHlc = 600
    transfer.claim.version = 2
    transfer.claim.movedFrom = "eu"
    var device = Relay_V1_TransferredDevice()
    device.deviceID = "phone"
    device.fingerprint = Data(repeating: 1, count: 32)
    device.identity.signingKey = Data(repeating: 2, count: 32)
    device.identity.agreementKey = Data(repeating: 3, count: 32)
    device.signedPrekey.publicKey = Data(repeating: 4, count: 32)
    device.signedPrekey.signature = Data(repeating: 5, count: 64)
    device.kemLastResort.publicKey = Data(repeating: 6, count: 1184)
    device.kemLastResort.signature = Data(repeating: 7, count: 64)
    device.ackedCursor = 1
    device.mailboxHead = 3
    transfer.devices = [device]
    var entry = Relay_V1_TransferredEntry()
    entry.deviceID = "phone"
    entry.cursor = 2
    entry.conversationID = "c0ffee00-0000-4000-8000-000000000001"
    entry.originRelay = "example.test#eu"
    entry.originSeq = 1
    transfer.entries = [entry]
    transfer.messages = [Self.message(copyFor: "alice@example.test/phone")]
    return transfer
  }

  static func message(copyFor device: String) -> Relay_V1_ReplicatedMessage {
    var message = Relay_V1_ReplicatedMessage()
    message.conversationID = "c0ffee00-0000-4000-8000-000000000001"
    message.messageID = "01a2416f-bb6f-7d61-9b29-8229342f87c0"
    message.sender = "bob@example.test/phone"
    message.originRelay = "example.test#eu"
    message.originSeq = 1
    var copy = Relay_V1_SealedCopy()
    copy.device = device
    copy.ciphertext = Data([1])
    message.copies = [copy]
    return message
  }

  static func expect(
    _ code: RelayError.Code, _ message: String, _ change: (inout Relay_V1_UserTransfer) -> Void,
    from peer: String = "example.test#eu"
  ) {
    var transfer = Self.transfer
    change(&transfer)
    let error = #expect(throws: RelayError.self) { try Self.rules.check(transfer, from: peer) }
    #expect(error?.code == code)
    #expect(error?.message == message)
  }

  @Test("a well-formed transfer from another region of the domain names this region as the new home")
  func accepted() throws {
    let plan = try Self.rules.check(Self.transfer, from: "example.test#eu")
    #expect(plan.source == "eu")
    #expect(
      plan.claim
        == HomeClaim(
          user: try UserAddress(parsing: "alice@example.test"), region: "us", claimedHLC: 600, version: 2,
          movedFrom: "eu"))
    #expect(plan.messages.first?.copies.map(\.device.description) == ["alice@example.test/phone"])
  }

  @Test(
    "a transfer from another domain, for another region or domain, at version 1, or with a malformed part is refused")
  func refused() {
    Self.expect(
      .permissionDenied, "only another region of this domain may hand over a user", { _ in }, from: "other.test")
    Self.expect(.permissionDenied, "a region may only hand over users of its domain to the receiving region") {
      $0.claim.region = "ap"
    }
    Self.expect(.permissionDenied, "a region may only hand over users of its domain to the receiving region") {
      $0.claim.user = "alice@other.test"
    }
    Self.expect(.invalidArgument, "a moved user's home version is past 1") { $0.claim.version = 1 }
    Self.expect(.invalidArgument, "a transfer's claim names the sending region as the one moved from") {
      $0.claim.movedFrom = "ap"
    }
    Self.expect(.invalidArgument, "a transfer's claim names the sending region as the one moved from") {
      $0.claim.movedFrom = ""
    }
    Self.expect(.invalidArgument, "a home claim's moved_from names another region, for a move") {
      $0.claim.movedFrom = "US!"
    }
    Self.expect(.outOfRange, "home version must be at most 9223372036854775807") { $0.claim.version = .max }
    Self.expect(.resourceExhausted, "a transfer is over 256 devices") {
      $0.devices = Array(repeating: $0.devices[0], count: 257)
    }
    Self.expect(.invalidArgument, "a transferred device is listed twice or acked past its head") {
      $0.devices.append($0.devices[0])
    }
    Self.expect(.invalidArgument, "a transferred device is listed twice or acked past its head") {
      $0.devices[0].ackedCursor = 4
    }
    Self.expect(.invalidArgument, "a transferred entry is outside its device's mailbox") { $0.entries[0].cursor = 1 }
    Self.expect(.invalidArgument, "a transferred entry is outside its device's mailbox") {
      $0.entries[0].deviceID = "laptop"
    }
    Self.expect(.invalidArgument, "transferred device fingerprint must be 32 bytes") {
      $0.devices[0].fingerprint = Data(count: 31)
    }
    Self.expect(.permissionDenied, "a moved user's message carries a copy for another user's device") {
      $0.messages = [Self.message(copyFor: "bob@example.test/phone")]
    }
  }

  @Test(
    "a forward carries only the moved user's copies, or a receipt for the moved user's message, from a region of the domain"
  )
  func forwards() throws {
    var forward = Relay_V1_MoveForward()
    forward.user = "alice@example.test"
    forward.message = Self.message(copyFor: "alice@example.test/phone")
    _ = try Self.rules.check(forward, from: "example.test#eu")
    let foreign = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "other.test") }
    #expect(foreign?.code == .permissionDenied)
    forward.message = Self.message(copyFor: "bob@example.test/phone")
    let other = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "example.test#eu") }
    #expect(other?.code == .permissionDenied)
    var receipt = Relay_V1_ReplicatedReceipt()
    receipt.conversationID = "c0ffee00-0000-4000-8000-000000000001"
    receipt.sender = "bob@example.test/phone"
    receipt.by = "carol@example.test/phone"
    receipt.status = .read
    forward.receipt = receipt
    let notHers = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "example.test#eu") }
    #expect(notHers?.code == .invalidArgument)
    forward.event = nil
    let empty = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "example.test#eu") }
    #expect(empty?.code == .invalidArgument)
  }

  @Test(
    "a move marker comes first hand from its own region, for a user of the domain at a move's version; passed on, from a third region"
  )
  func markers() throws {
    var marker = Relay_V1_MoveMarker()
    marker.user = "alice@example.test"
    marker.version = 2
    marker.region = "ap"
    let checked = try Self.rules.check(marker, from: "example.test#ap")
    #expect(checked == MoveMarker(user: try UserAddress(parsing: "alice@example.test"), version: 2, region: "ap"))
    func refusal(_ marker: Relay_V1_MoveMarker, from peer: String) -> RelayError? {
      #expect(throws: RelayError.self) { try Self.rules.check(marker, from: peer) }
    }
    #expect(refusal(marker, from: "other.test")?.message == "only another region of this domain may send a move marker")
    #expect(refusal(marker, from: "example.test#eu")?.message == "a region may only send its own move marker")
    var changed = marker
    changed.version = 1
    #expect(refusal(changed, from: "example.test#ap")?.message == "a move marker's version is a move's, past 1")
    changed = marker
    changed.user = "alice@other.test"
    #expect(refusal(changed, from: "example.test#ap")?.code == .permissionDenied)
    changed = marker
    changed.region = ""
    #expect(refusal(changed, from: "example.test#ap")?.code == .invalidArgument)

    var forward = Relay_V1_MoveForward()
    forward.user = "alice@example.test"
    forward.marker = marker
    #expect(try Self.rules.check(forward, from: "example.test#eu").user.description == "alice@example.test")
    let ownMarker = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "example.test#ap") }
    #expect(ownMarker?.message == "a passed-on marker is for the moved user, from a third region")
    forward.marker.user = "bob@example.test"
    let otherUser = #expect(throws: RelayError.self) { try Self.rules.check(forward, from: "example.test#eu") }
    #expect(otherUser?.message == "a passed-on marker is for the moved user, from a third region")
  }

  @Test("a home claim names its old home only for a move, and only another valid region")
  func movedFrom() throws {
    var claim = Relay_V1_HomeClaim()
    claim.user = "alice@example.test"
    claim.region = "us"
    claim.claimedHlc = 600
    claim.version = 2
    claim.movedFrom = "eu"
    #expect(try Self.rules.check(claim, from: "example.test#us").movedFrom == "eu")
    for (version, from) in [(UInt64(1), "eu"), (2, "us"), (2, "E U")] {
      claim.version = version
      claim.movedFrom = from
      let error = #expect(throws: RelayError.self) { try Self.rules.check(claim, from: "example.test#us") }
      #expect(error?.message == "a home claim's moved_from names another region, for a move")
    }
  }
}
