internal import Crypto
internal import SwiftASN1
public import X509

/// A device's (or relay's) identity: the SHA-256 of its certificate's public
/// key, as DER `SubjectPublicKeyInfo`. Printed as 64 lower-case hex digits.
///
/// The same key in a renewed certificate keeps the same fingerprint.
public struct Fingerprint: Hashable, Sendable, CustomStringConvertible {
  public let bytes: [UInt8]

  public init(bytes: [UInt8]) {
    precondition(bytes.count == 32, "a fingerprint is 32 bytes")
    self.bytes = bytes
  }

  /// Hashes the key's DER `SubjectPublicKeyInfo` (algorithm and key), as
  /// `openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum` does.
  public init(publicKey: Certificate.PublicKey) throws {
    var serializer = DER.Serializer()
    try serializer.serialize(publicKey)
    self.init(bytes: Array(SHA256.hash(data: serializer.serializedBytes)))
  }

  public init(certificate: Certificate) throws {
    try self.init(publicKey: certificate.publicKey)
  }

  /// Parses 64 hex digits (either case, `:` separators allowed).
  public init?(hex: String) {
    var bytes = [UInt8]()
    var high: UInt8?
    for character in hex.utf8 where character != UInt8(ascii: ":") {
      guard let nibble = Self.nibble(character) else { return nil }
      if let h = high {
        bytes.append(h << 4 | nibble)
        high = nil
      } else {
        high = nibble
      }
    }
    guard high == nil, bytes.count == 32 else { return nil }
    self.bytes = bytes
  }

  public var description: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for byte in self.bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0") ... UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a") ... UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A") ... UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
