/// A message an ack or a read mark covers, as a backend finds it: what a
/// receipt to its sender is made of.
///
/// Receipts are cumulative (docs/protocol.md, "Receipts"): one receipt says
/// that every message its sender sent in the conversation, up to and
/// including the one it names, has reached the status for the recipient. So
/// an ack or a read mark covering many messages makes one receipt per
/// (conversation, sender user), for the newest message of each, instead of
/// one per message. "Newest" is in the sender's own order, its relay's
/// origin sequence: a sender's messages all come from its home relay, so
/// that order is the same on every relay, even where a replicated message
/// was applied after a later one.
package struct CoveredMessage: Sendable {
  package var conversationID: String
  /// The local sequence number (what a receipt on this relay names).
  package var seq: Int64
  /// The position in the sender's relay's order.
  package var originSeq: Int64
  package var messageID: String
  /// The sender's user, whose every device gets the receipt.
  package var senderUser: String
  /// The sending device, `user@domain/device`.
  package var sender: String

  package init(
    conversationID: String, seq: Int64, originSeq: Int64, messageID: String, senderUser: String, sender: String
  ) {
    self.conversationID = conversationID
    self.seq = seq
    self.originSeq = originSeq
    self.messageID = messageID
    self.senderUser = senderUser
    self.sender = sender
  }
}

extension Sequence<CoveredMessage> {
  /// The newest message of each (conversation, sender user), in the order in
  /// which those groups first appear in `self` (cursor or seq order).
  package func newestPerSender() -> [CoveredMessage] {
    var newest: [CoveredMessage] = []
    var index: [SenderKey: Int] = [:]
    for message in self {
      let key = SenderKey(conversationID: message.conversationID, user: message.senderUser)
      if let slot = index[key] {
        if message.originSeq > newest[slot].originSeq { newest[slot] = message }
      } else {
        index[key] = newest.count
        newest.append(message)
      }
    }
    return newest
  }
}

private struct SenderKey: Hashable {
  package var conversationID: String
  package var user: String
}
