public import Foundation
internal import SwiftProtobuf
public import Wire

/// Parsing and checking the outer sealed-envelope layer.
public enum SealedEnvelopeFormat {
  /// The version this implementation writes and reads.
  public static let version: UInt32 = 1

  /// Parses `bytes` and checks its version and field sizes.
  public static func parse(_ bytes: Data) throws(E2EError) -> Relay_V1_SealedEnvelope {
    let envelope: Relay_V1_SealedEnvelope
    do {
      envelope = try Relay_V1_SealedEnvelope(serializedBytes: bytes)
    } catch {
      throw E2EError(code: .malformed, message: "the sealed envelope is not a SealedEnvelope message", cause: error)
    }
    guard envelope.version == version else {
      throw E2EError(code: .unsupportedVersion, message: "sealed-envelope version \(envelope.version) is not 1")
    }
    guard envelope.header.count == RatchetHeader.size else {
      throw E2EError(code: .malformed, message: "the ratchet header is \(envelope.header.count) bytes, not 40")
    }
    return envelope
  }
}
