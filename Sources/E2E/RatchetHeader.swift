public import Foundation

/// A Double Ratchet message header: the sender's current ratchet public key,
/// the length of its previous sending chain, and the message's number in the
/// current one. Encoded as 40 bytes: key (32) || pn (uint32 BE) || n (uint32 BE).
public struct RatchetHeader: Hashable, Sendable {
  public static let size = 40

  public var ratchetKey: Data
  public var previousChainLength: UInt32
  public var messageNumber: UInt32

  public init(ratchetKey: Data, previousChainLength: UInt32, messageNumber: UInt32) {
    self.ratchetKey = ratchetKey
    self.previousChainLength = previousChainLength
    self.messageNumber = messageNumber
  }

  public init(bytes: Data) throws(E2EError) {
    guard bytes.count == Self.size else {
      throw E2EError(code: .malformed, message: "a ratchet header is \(Self.size) bytes, not \(bytes.count)")
    }
    let raw = [UInt8](bytes)
    self.ratchetKey = Data(raw[0 ..< 32])
    self.previousChainLength = Self.uint32(raw[32 ..< 36])
    self.messageNumber = Self.uint32(raw[36 ..< 40])
  }

  public var bytes: Data {
    var out = self.ratchetKey
    out.reserveCapacity(Self.size)
    withUnsafeBytes(of: self.previousChainLength.bigEndian) { out.append(contentsOf: $0) }
    withUnsafeBytes(of: self.messageNumber.bigEndian) { out.append(contentsOf: $0) }
    return out
  }

  private static func uint32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(0) { $0 << 8 | UInt32($1) }
  }
}
