/// A device's address: `name@domain/device-id`.
///
/// Device ids are ASCII letters, digits, `.`, `_` and `-`, 1 to 64 characters.
///
/// ```swift
/// let phone = try DeviceAddress(parsing: "alice@relay.example/phone")
/// ```
public struct DeviceAddress: Hashable, Sendable, CustomStringConvertible {
  public let user: UserAddress
  public let deviceID: String

  public init(user: UserAddress, deviceID: String) throws(AddressError) {
    guard Self.isValidDeviceID(deviceID) else { throw AddressError(.invalidDeviceID) }
    self.user = user
    self.deviceID = deviceID
  }

  /// Parses `name@domain/device-id`.
  public init(parsing text: String) throws(AddressError) {
    guard let slash = text.lastIndex(of: "/") else { throw AddressError(.missingDeviceID) }
    let user = try UserAddress(parsing: String(text[..<slash]))
    try self.init(user: user, deviceID: String(text[text.index(after: slash)...]))
  }

  public var description: String { "\(self.user)/\(self.deviceID)" }

  public static func isValidDeviceID(_ id: String) -> Bool {
    let bytes = id.utf8
    guard (1 ... 64).contains(bytes.count) else { return false }
    return bytes.allSatisfy { byte in
      (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
        || (byte >= 0x30 && byte <= 0x39) || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }
  }
}
