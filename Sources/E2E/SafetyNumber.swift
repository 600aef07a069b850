internal import Crypto
internal import Foundation

/// A number two people compare (read aloud or side by side) to check that no
/// one sits between them: 60 digits from both users' identity keys.
///
/// Each device has its own identity key here, so a user's half covers all of
/// that user's current devices: it changes when a device is added or removed.
public struct SafetyNumber: Hashable, Sendable, CustomStringConvertible {
  public static let iterations = 5_200
  static let version: [UInt8] = [0x00, 0x01]

  /// The 60 digits.
  public let digits: String

  /// - Parameters:
  ///   - local: (user address, identity keys of each current device)
  ///   - remote: the same for the other user.
  public init(local: (user: String, keys: [IdentityPublicKey]), remote: (user: String, keys: [IdentityPublicKey])) {
    let a = Self.half(user: local.user, keys: local.keys)
    let b = Self.half(user: remote.user, keys: remote.keys)
    self.digits = a < b ? a + b : b + a
  }

  /// Twelve groups of five digits.
  public var description: String {
    stride(from: 0, to: self.digits.count, by: 5).map { offset in
      let start = self.digits.index(self.digits.startIndex, offsetBy: offset)
      return String(self.digits[start ..< self.digits.index(start, offsetBy: 5)])
    }.joined(separator: " ")
  }

  /// 30 digits: SHA-512 iterated over the sorted device keys and the user's address.
  static func half(user: String, keys: [IdentityPublicKey]) -> String {
    let key = keys.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) }.reduce(Data(), +)
    var hash = Data(SHA512.hash(data: Data(version) + key + Data(user.utf8)))
    for _ in 0 ..< iterations { hash = Data(SHA512.hash(data: hash + key)) }
    let bytes = [UInt8](hash)
    return (0 ..< 6).map { chunk in
      let value = bytes[chunk * 5 ..< chunk * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 100_000
      let text = String(value)
      return String(repeating: "0", count: 5 - text.count) + text
    }.joined()
  }
}
