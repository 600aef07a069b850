extension Relay_V1_MailboxEntry {
  /// The entry's mailbox position, whichever kind it is (0 when unset).
  public var cursor: UInt64 {
    switch self.entry {
    case .envelope(let envelope): envelope.cursor
    case .receipt(let receipt): receipt.cursor
    case nil: 0
    }
  }
}
