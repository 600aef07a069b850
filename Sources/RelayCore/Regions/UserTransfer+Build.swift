package import Foundation
internal import SwiftProtobuf
package import Wire

/// The parts of a ``Relay_V1_UserTransfer`` as both backends read them from their rows.
extension Relay_V1_MoveCover {
  package init(_ conversation: String, _ origin: String, _ seq: Int64) {
    self.init()
    self.conversationID = conversation
    self.originRelay = origin
    self.contiguousSeq = UInt64(max(0, seq))
  }
}

extension Relay_V1_TransferredDevice {
  /// Adds a one-time prekey stored as `kind` (0: X25519, 1: ML-KEM-768).
  package mutating func addPrekey(kind: Int, id: Int64, publicKey: Data, signature: Data?) {
    if kind == 0 {
      var key = Relay_V1_OneTimePrekey()
      key.keyID = UInt32(truncatingIfNeeded: id)
      key.publicKey = publicKey
      self.oneTimePrekeys.append(key)
    } else {
      var key = Relay_V1_KemPrekey()
      key.keyID = UInt32(truncatingIfNeeded: id)
      key.publicKey = publicKey
      key.signature = signature ?? Data()
      self.kemPrekeys.append(key)
    }
  }
}

extension Relay_V1_TransferredEntry {
  /// An entry at `cursor` naming its message by origin position; a receipt when `kind` is 1.
  package init(
    device: String, cursor: Int64, kind: Int, conversation: String, origin: String, originSeq: Int64,
    receiptStatus: Int, receiptBy: String, receiptAtMs: Int64
  ) {
    self.init()
    self.deviceID = device
    self.cursor = UInt64(max(0, cursor))
    self.conversationID = conversation
    self.originRelay = origin
    self.originSeq = UInt64(max(0, originSeq))
    if kind == 1 {
      self.receiptStatus = Relay_V1_ReceiptStatus(rawValue: receiptStatus) ?? .delivered
      self.receiptBy = receiptBy
      self.receiptAtMs = receiptAtMs
    }
  }
}
