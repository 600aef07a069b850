/// Unguessable names: link codes, attachment ids.
package enum RandomHex {
  /// 128 bits from the system's secure generator, as 32 lowercase hex digits.
  package static func bits128() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0 ..< 2).map { _ in
      let hex = String(generator.next() as UInt64, radix: 16)
      return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
  }
}
