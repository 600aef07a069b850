import Foundation

extension Data {
  init(hex: String) {
    var bytes = [UInt8]()
    var iterator = hex.unicodeScalars.filter { !$0.properties.isWhitespace }.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
      bytes.append(UInt8(String(high), radix: 16)! << 4 | UInt8(String(low), radix: 16)!)
    }
    self.init(bytes)
  }

  var hex: String { self.map { String(format: "%02x", $0) }.joined() }
}
