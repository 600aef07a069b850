import Foundation
import Testing
import Wire

@testable import RelayCore

/// A transfer larger than one event goes in parts (docs/regions.md, "Moving a
/// user"): each part fits, the whole comes back in order, the first parts
/// carry only entries and messages, and the rules check each part.
@Suite("Regions: a transfer in parts")
struct TransferPartsTests {
  static func transfer(messages count: Int, bytes: Int) -> Relay_V1_UserTransfer {
    var transfer = MoveRulesTests.transfer
    transfer.devices[0].mailboxHead = UInt64(count + 1)
    transfer.entries = (0 ..< count).map { index in
      var entry = transfer.entries[0]
      entry.cursor = UInt64(index + 2)
      entry.originSeq = UInt64(index + 1)
      return entry
    }
    transfer.messages = (0 ..< count).map { index in
      var message = MoveRulesTests.message(copyFor: "alice@example.test/phone")
      message.originSeq = UInt64(index + 1)
      message.copies[0].ciphertext = Data(repeating: UInt8(index), count: bytes)
      return message
    }
    return transfer
  }

  @Test("each part fits its frame, the last brings the devices, and the parts merge back into the whole")
  func split() throws {
    let whole = Self.transfer(messages: 10, bytes: 900)
    let parts = try whole.parts(maxBytes: 3_500, recent: [])
    #expect(parts.count > 2)
    for (index, part) in parts.enumerated() {
      #expect(part.serializedSize <= 3_500)
      #expect(part.part == UInt32(index) && part.parts == UInt32(parts.count))
      #expect(part.claim == whole.claim)
    }
    #expect(parts.dropLast().allSatisfy { $0.devices.isEmpty && $0.conversations.isEmpty })
    #expect(parts.last?.devices == whole.devices)
    let merged = try #require(parts.last).merged(with: Array(parts.dropLast()))
    #expect(merged.entries == whole.entries && merged.messages == whole.messages && merged.parts == 0)

    // The rules take each first part, and the last once it holds the rest.
    let rules = MoveRulesTests.rules
    for part in parts.dropLast() {
      let checked = try rules.checkPart(part, from: "example.test#eu")
      #expect(checked.part == part.part && checked.source == "eu")
    }
    let last = try rules.check(try #require(parts.last), from: "example.test#eu")
    let plan = try last.assembled(with: Array(parts.dropLast()), rules: rules)
    #expect(plan.transfer.entries.count == 10 && plan.messages.count == 10)
    let missing = #expect(throws: RelayError.self) { try last.assembled(with: [], rules: rules) }
    #expect(missing?.message == "a transfer's earlier parts are missing")
  }

  @Test(
    "one event when it fits; recent messages only while they fit; refused when the keys alone, or the whole, do not")
  func limits() throws {
    let small = Self.transfer(messages: 2, bytes: 10)
    let recent = (0 ..< 100).map { index in
      var message = MoveRulesTests.message(copyFor: "alice@example.test/phone")
      message.originSeq = UInt64(100 + index)
      message.copies[0].ciphertext = Data(count: 200)
      return message
    }
    let one = try small.parts(maxBytes: 8_000, recent: recent)
    #expect(one.count == 1 && one[0].parts == 0)
    #expect(one[0].messages.count > 2 && one[0].messages.count < 102)
    #expect(one[0].serializedSize <= 8_000)

    let keys = #expect(throws: RelayError.self) { try small.parts(maxBytes: 1_000, recent: []) }
    #expect(keys?.message == "the user's keys and conversations are over 1000 bytes: not moved")
    let huge = Self.transfer(messages: 40, bytes: 3_000)
    let over = #expect(throws: RelayError.self) { try huge.parts(maxBytes: 4_000, recent: []) }
    #expect(over?.message == "the user's undelivered messages are over 32 frames of 4000 bytes: not moved")
  }

  @Test("a first part with devices, past the last, or over 32 parts is refused")
  func refusedParts() throws {
    let parts = try Self.transfer(messages: 10, bytes: 900).parts(maxBytes: 3_500, recent: [])
    let rules = MoveRulesTests.rules
    var withDevices = parts[0]
    withDevices.devices = parts.last!.devices
    let devices = #expect(throws: RelayError.self) { try rules.checkPart(withDevices, from: "example.test#eu") }
    #expect(devices?.message == "a transfer's first parts carry only entries and messages")
    var notLast = parts.last!
    notLast.part = 0
    let early = #expect(throws: RelayError.self) { try rules.check(notLast, from: "example.test#eu") }
    #expect(early?.message == "a transfer's devices and conversations come in its last part")
    var many = parts[0]
    many.parts = 33
    let tooMany = #expect(throws: RelayError.self) { try rules.checkPart(many, from: "example.test#eu") }
    #expect(tooMany?.message == "a transfer is over 32 parts")
    var foreign = parts[0]
    foreign.messages[0].copies[0].device = "bob@example.test/phone"
    let notHers = #expect(throws: RelayError.self) { try rules.checkPart(foreign, from: "example.test#eu") }
    #expect(notHers?.code == .permissionDenied)
  }
}
