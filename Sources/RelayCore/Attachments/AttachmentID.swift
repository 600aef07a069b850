/// An attachment's name: 32 lowercase hex digits (128 random bits) at the
/// domain of the relay that stores the original, written `hex@domain`.
///
/// A recipient on another relay downloads by this id from its own relay,
/// which fetches the bytes from the domain's relay once and keeps a copy.
public struct AttachmentID: Sendable, Hashable, CustomStringConvertible {
  /// The 32 hex digits.
  public let key: String
  /// The domain of the relay that stores the original.
  public let domain: String

  public var description: String { "\(self.key)@\(self.domain)" }

  /// A new id at `domain`, from the system's secure random generator.
  public static func random(at domain: String) -> AttachmentID {
    AttachmentID(key: RandomHex.bits128(), domain: domain)
  }

  private init(key: String, domain: String) {
    self.key = key
    self.domain = domain
  }

  /// A client's or a peer's id, checked: 32 lowercase hex digits, `@`, and a
  /// domain (lowercase letters, digits, dots and hyphens, 1 to 253 bytes).
  public init(wire: String, field: String = "attachment_id") throws(RelayError) {
    let parts = wire.utf8.split(separator: UInt8(ascii: "@"), maxSplits: 1, omittingEmptySubsequences: false)
    let isHex: (UInt8) -> Bool = { (0x30 ... 0x39).contains($0) || (0x61 ... 0x66).contains($0) }
    let isDomain: (UInt8) -> Bool = {
      (0x61 ... 0x7A).contains($0) || (0x30 ... 0x39).contains($0) || $0 == UInt8(ascii: ".")
        || $0 == UInt8(ascii: "-")
    }
    guard parts.count == 2, parts[0].count == 32, parts[0].allSatisfy(isHex), (1 ... 253).contains(parts[1].count),
      parts[1].allSatisfy(isDomain)
    else {
      throw RelayError(.invalidArgument, "\(field) must be 32 lowercase hex digits, '@' and a domain")
    }
    self.init(key: String(decoding: parts[0], as: UTF8.self), domain: String(decoding: parts[1], as: UTF8.self))
  }

  /// An id read back from the store (written by this relay, so valid).
  package static func stored(key: String, domain: String) -> AttachmentID {
    AttachmentID(key: key, domain: domain)
  }
}
