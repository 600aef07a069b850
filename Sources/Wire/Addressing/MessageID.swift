/// A client-chosen message id: a UUID in its canonical 36-character text form.
///
/// Stored lower-cased, so `A0…` and `a0…` are the same message.
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
  public let text: String

  public init(parsing text: String) throws(AddressError) {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { throw AddressError(.invalidMessageID) }
    var lowered = [UInt8]()
    lowered.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 8 || index == 13 || index == 18 || index == 23 {
        guard byte == 0x2D else { throw AddressError(.invalidMessageID) }
        lowered.append(byte)
      } else if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) {
        lowered.append(byte)
      } else if byte >= 0x41 && byte <= 0x46 {
        lowered.append(byte + 0x20)
      } else {
        throw AddressError(.invalidMessageID)
      }
    }
    self.text = String(decoding: lowered, as: UTF8.self)
  }

  /// An id already in canonical form (lower-case hex, with dashes).
  init(canonical text: String) { self.text = text }

  public var description: String { self.text }
}
