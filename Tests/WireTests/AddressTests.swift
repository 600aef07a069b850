import Testing
import Wire

@Suite("Addresses and ids")
struct AddressTests {
  @Test(arguments: ["alice@localhost", "a.b_c-d@relay.example.org", "x@a1-b.c"])
  func validUsers(_ text: String) throws {
    #expect(try UserAddress(parsing: text).description == text)
  }

  @Test(arguments: [
    "alice", "@localhost", "alice@", "Alice@localhost", "al ice@localhost", "alice@-bad.example",
    "alice@bad-.example", "alice@bad..example", "alice@UPPER.example", String(repeating: "a", count: 65) + "@x",
  ])
  func invalidUsers(_ text: String) {
    #expect(throws: AddressError.self) { try UserAddress(parsing: text) }
  }

  @Test func devices() throws {
    let device = try DeviceAddress(parsing: "alice@relay.example/Phone-1")
    #expect(device.user.name == "alice" && device.user.domain == "relay.example" && device.deviceID == "Phone-1")
    #expect(throws: AddressError.self) { try DeviceAddress(parsing: "alice@relay.example") }
    #expect(throws: AddressError.self) { try DeviceAddress(parsing: "alice@relay.example/") }
    #expect(throws: AddressError.self) { try DeviceAddress(parsing: "alice@relay.example/a b") }
  }

  @Test func messageIDs() throws {
    #expect(
      try MessageID(parsing: "0A1B2C3D-4E5F-6789-ABCD-EF0123456789").text == "0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    for bad in [
      "", "0a1b2c3d4e5f6789abcdef0123456789", "0a1b2c3d-4e5f-6789-abcd-ef012345678g",
      "0a1b2c3d_4e5f-6789-abcd-ef0123456789",
    ] {
      #expect(throws: AddressError.self) { try MessageID(parsing: bad) }
    }
  }

  @Test func timeOrderedMessageIDs() throws {
    struct Fixed: RandomNumberGenerator {
      func next() -> UInt64 { .max }
    }
    var ones = Fixed()
    // 0x0123456789ab ms, then the version (7), the variant (10) and random bits (all ones here).
    let id = MessageID.timeOrdered(unixMilliseconds: 0x0123_4567_89ab, using: &ones)
    #expect(id.text == "01234567-89ab-7fff-bfff-ffffffffffff")
    #expect(try MessageID(parsing: id.text) == id)
    // Later ids sort later, whatever their random bits.
    let times: [UInt64] = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_256, 1_800_000_000_000]
    let ids = times.map { MessageID.timeOrdered(unixMilliseconds: $0).text }
    #expect(ids == ids.sorted())
    #expect(ids.allSatisfy { Array($0.utf8)[14] == UInt8(ascii: "7") })
  }

  @Test func errorsNameTheRuleNotTheInput() {
    do {
      _ = try UserAddress(parsing: "SECRET@localhost")
    } catch {
      #expect(!error.description.contains("SECRET"))
    }
  }
}
