package import Wire

extension Relay_V1_TransferredEntry {
  /// The mailbox entry it becomes on the new home, naming the message by
  /// that relay's `seq`; the store sets the cursor.
  package func mailboxEntry(seq: UInt64) -> Relay_V1_MailboxEntry {
    var entry = Relay_V1_MailboxEntry()
    if self.receiptStatus == .unspecified {
      entry.envelope.conversationID = self.conversationID
      entry.envelope.seq = seq
    } else {
      entry.receipt.conversationID = self.conversationID
      entry.receipt.seq = seq
      entry.receipt.status = self.receiptStatus
      entry.receipt.by = self.receiptBy
      entry.receipt.atMs = self.receiptAtMs
    }
    return entry
  }
}
