extension MessageID {
  /// A UUIDv7 (RFC 9562): 48 bits of Unix time in milliseconds, the version
  /// and variant bits, and 74 random bits.
  ///
  /// Ids made later sort later, so a relay's dedup index on (sender device,
  /// message id) grows at its end: a batch of sends writes one page of it
  /// instead of one page per send, as random (version 4) ids do. Any UUID is
  /// accepted; this is the form clients should send (docs/protocol.md).
  public static func timeOrdered(
    unixMilliseconds: UInt64, using generator: inout some RandomNumberGenerator
  ) -> MessageID {
    var bytes = [UInt8](repeating: 0, count: 16)
    for index in 0 ..< 6 { bytes[index] = UInt8(truncatingIfNeeded: unixMilliseconds >> (40 - 8 * UInt64(index))) }
    // Two draws for the 10 random bytes (one draw per byte would be ten system calls).
    let (high, low) = (generator.next() as UInt64, generator.next() as UInt64)
    for index in 6 ..< 8 { bytes[index] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(index - 6))) }
    for index in 8 ..< 16 { bytes[index] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(index - 8))) }
    bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
    bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 4 || index == 6 || index == 8 || index == 10 { text.append(0x2D) }
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0F)])
    }
    return MessageID(canonical: String(decoding: text, as: UTF8.self))
  }

  /// A UUIDv7 for now, from the system's random generator.
  public static func timeOrdered(unixMilliseconds: UInt64) -> MessageID {
    var generator = SystemRandomNumberGenerator()
    return Self.timeOrdered(unixMilliseconds: unixMilliseconds, using: &generator)
  }
}
