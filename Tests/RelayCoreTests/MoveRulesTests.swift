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
        == HomeClaim(user: try UserAddress(parsing: "alice@example.test"), region: "us", claimedHLC: 600, version: 2))
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
}
