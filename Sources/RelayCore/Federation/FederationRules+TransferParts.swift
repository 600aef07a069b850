package import Wire

extension FederationRules {
  /// One of a transfer's first parts: the same sender, user and claim rules
  /// as the whole (``check(_:from:)-transfer``), only entries and the
  /// messages they name, each well-formed and the user's own. Their cursors
  /// are checked when the last part brings the devices.
  package func checkPart(_ transfer: Relay_V1_UserTransfer, from peer: String) throws(RelayError) -> TransferPart {
    let (source, _, user) = try self.transferHeader(transfer, from: peer)
    guard transfer.parts > 1, transfer.part < transfer.parts - 1, transfer.devices.isEmpty,
      transfer.conversations.isEmpty, transfer.covers.isEmpty
    else {
      throw RelayError(.invalidArgument, "a transfer's first parts carry only entries and messages")
    }
    for entry in transfer.entries { try Self.checkFields(of: entry) }
    for message in transfer.messages {
      _ = try Self.device(message.sender, "message sender")
      _ = try self.copies(of: message, for: user)
    }
    return TransferPart(
      user: user, version: transfer.claim.version, source: source, part: transfer.part, transfer: transfer)
  }
}
