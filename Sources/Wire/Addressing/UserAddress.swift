/// A user's address: `name@domain`, where `domain` is the user's home relay.
///
/// Names are lower-case ASCII letters, digits, `.`, `_` and `-`, 1 to 64
/// characters; domains are DNS host names of at most 253 characters.
///
/// ```swift
/// let alice = try UserAddress(parsing: "alice@relay.example")
/// ```
public struct UserAddress: Hashable, Sendable, CustomStringConvertible {
  public let name: String
  public let domain: String

  public init(name: String, domain: String) throws(AddressError) {
    guard Self.isValidName(name) else { throw AddressError(.invalidUserName) }
    guard Self.isValidDomain(domain) else { throw AddressError(.invalidDomain) }
    self.name = name
    self.domain = domain
  }

  /// Parses `name@domain`.
  public init(parsing text: String) throws(AddressError) {
    guard let at = text.firstIndex(of: "@") else { throw AddressError(.missingDomain) }
    try self.init(name: String(text[..<at]), domain: String(text[text.index(after: at)...]))
  }

  public var description: String { "\(self.name)@\(self.domain)" }

  static func isValidName(_ name: String) -> Bool {
    let bytes = name.utf8
    guard (1 ... 64).contains(bytes.count) else { return false }
    return bytes.allSatisfy { byte in
      (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
        || byte == 0x2E || byte == 0x5F || byte == 0x2D
    }
  }

  static func isValidDomain(_ domain: String) -> Bool {
    let bytes = domain.utf8
    guard (1 ... 253).contains(bytes.count) else { return false }
    var labelLength = 0
    var previous: UInt8 = 0x2E
    for byte in bytes {
      if byte == 0x2E {
        guard labelLength > 0, previous != 0x2D else { return false }
        labelLength = 0
      } else {
        let isAlnum =
          (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
        guard isAlnum || (byte == 0x2D && labelLength > 0) else { return false }
        labelLength += 1
        guard labelLength <= 63 else { return false }
      }
      previous = byte
    }
    return labelLength > 0 && previous != 0x2D
  }
}
