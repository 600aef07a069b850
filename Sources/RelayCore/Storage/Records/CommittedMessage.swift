package import Foundation
package import Wire

/// A committed message as both stores read it back (a row of `messages`):
/// for the first result of a retried send, and for anti-entropy, which sends
/// a peer this relay's own messages again.
package struct CommittedMessage: Sendable, Hashable {
  /// The columns, in this order, that a store selects to read one.
  package static let columns =
    "conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms"

  package var conversationID: String
  package var seq: Int64
  package var messageID: String
  package var senderUser: String
  package var senderDevice: String
  /// The hybrid logical clock's value, stored as its bit pattern.
  package var hlc: Int64
  package var originRelay: String
  package var originSeq: Int64
  package var sentAtMs: Int64

  package init(
    conversationID: String, seq: Int64, messageID: String, senderUser: String, senderDevice: String, hlc: Int64,
    originRelay: String, originSeq: Int64, sentAtMs: Int64
  ) {
    self.conversationID = conversationID
    self.seq = seq
    self.messageID = messageID
    self.senderUser = senderUser
    self.senderDevice = senderDevice
    self.hlc = hlc
    self.originRelay = originRelay
    self.originSeq = originSeq
    self.sentAtMs = sentAtMs
  }

  /// What a retry of this send gets: the first send's result, marked a duplicate.
  package var duplicateResult: SendOutcome {
    var result = Relay_V1_SendResult()
    result.messageID = self.messageID
    result.conversationID = self.conversationID
    result.seq = UInt64(self.seq)
    result.hlc = UInt64(bitPattern: self.hlc)
    result.originRelay = self.originRelay
    result.originSeq = UInt64(self.originSeq)
    result.sentAtMs = self.sentAtMs
    result.duplicate = true
    return SendOutcome(result: result, doorbells: [])
  }

  /// The message as its origin replicates it, with the copies for one peer's
  /// devices (`copies`: user, device, ciphertext, as stored).
  package func replicated(copies: [(user: String, device: String, ciphertext: Data)]) -> Relay_V1_FederationEvent {
    var message = Relay_V1_ReplicatedMessage()
    message.conversationID = self.conversationID
    message.messageID = self.messageID
    message.sender = "\(self.senderUser)/\(self.senderDevice)"
    message.hlc = UInt64(bitPattern: self.hlc)
    message.originRelay = self.originRelay
    message.originSeq = UInt64(self.originSeq)
    message.sentAtMs = self.sentAtMs
    message.copies = copies.map { copy in
      var sealed = Relay_V1_SealedCopy()
      sealed.device = "\(copy.user)/\(copy.device)"
      sealed.ciphertext = copy.ciphertext
      return sealed
    }
    var event = Relay_V1_FederationEvent()
    event.message = message
    return event
  }
}
