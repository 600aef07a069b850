public import Foundation
public import Wire

/// One validated send, ready to commit.
public struct SendCommand: Sendable {
  public struct Copy: Sendable {
    public var device: DeviceAddress
    public var ciphertext: Data

    package init(device: DeviceAddress, ciphertext: Data) {
      self.device = device
      self.ciphertext = ciphertext
    }
  }
  public var sender: DeviceAddress
  public var messageID: MessageID
  public var conversationID: String
  public var copies: [Copy]
  public var originRelay: String

  package init(sender: DeviceAddress, messageID: MessageID, conversationID: String, copies: [Copy], originRelay: String)
  {
    self.sender = sender
    self.messageID = messageID
    self.conversationID = conversationID
    self.copies = copies
    self.originRelay = originRelay
  }
}

/// A committed send: the result for the sender, and who to ring.
public struct SendOutcome: Sendable {
  public var result: Relay_V1_SendResult
  public var doorbells: [Doorbell]

  package init(result: Relay_V1_SendResult, doorbells: [Doorbell]) {
    self.result = result
    self.doorbells = doorbells
  }
}

extension SendCommand {
  /// Checks that the sender is a member and that the send addresses exactly
  /// the current devices of every member but the sending device itself.
  package func checkRecipients(_ members: MemberDevices) throws(RelayError) {
    // The sending device is registered, so a member sender always has a device here.
    guard members.users.contains(self.sender.user.description) else {
      throw RelayError(.permissionDenied, "the sender is not a member of this conversation")
    }
    let sender = self.sender.description
    let expectedCount = members.addresses.count - (members.addresses.contains(sender) ? 1 : 0)
    if self.copies.count == expectedCount
      && self.copies.allSatisfy({ copy in
        let address = copy.device.description
        return address != sender && members.addresses.contains(address)
      })
    {
      return  // copies are distinct (checked on the way in), so this is the exact set
    }
    var expected = members.addresses
    expected.remove(sender)
    let addressed = Set(self.copies.map(\.device.description))
    if addressed != expected {
      var error = RelayError(
        .failedPrecondition, "the send must address exactly the current devices of every member")
      error.deviceMismatch = .init(
        missing: expected.subtracting(addressed).sorted(), stale: addressed.subtracting(expected).sorted())
      throw error
    }
  }

  /// The committed send as its sender is told it.
  package func result(_ placed: PlacedMessage) -> Relay_V1_SendResult {
    var result = Relay_V1_SendResult()
    result.messageID = self.messageID.text
    result.conversationID = self.conversationID
    result.seq = placed.seq
    result.hlc = placed.hlc
    result.originRelay = self.originRelay
    result.originSeq = placed.originSeq
    result.sentAtMs = placed.sentAtMs
    return result
  }

  /// The mailbox entry every recipient gets, before its ciphertext and cursor are set.
  package func envelopeEntry(_ placed: PlacedMessage) -> Relay_V1_MailboxEntry {
    var envelope = Relay_V1_Envelope()
    envelope.conversationID = self.conversationID
    envelope.seq = placed.seq
    envelope.messageID = self.messageID.text
    envelope.sender = self.sender.description
    envelope.hlc = placed.hlc
    envelope.originRelay = self.originRelay
    envelope.originSeq = placed.originSeq
    envelope.sentAtMs = placed.sentAtMs
    var entry = Relay_V1_MailboxEntry()
    entry.envelope = envelope
    return entry
  }
}

/// Every device of every member of a conversation, as a send is checked against it.
package struct MemberDevices: Sendable {
  /// Members with at least one device.
  package let users: Set<String>
  /// `user/device` of every device.
  package let addresses: Set<String>

  package init(_ devices: some Sequence<(user: String, device: String)>) {
    var users = Set<String>()
    var addresses = Set<String>()
    for (user, device) in devices {
      users.insert(user)
      addresses.insert("\(user)/\(device)")
    }
    self.users = users
    self.addresses = addresses
  }
}

/// Where a committed message landed: its sequence numbers and times.
package struct PlacedMessage: Sendable {
  package var seq: UInt64
  package var originSeq: UInt64
  package var hlc: UInt64
  package var sentAtMs: Int64

  package init(seq: UInt64, originSeq: UInt64, hlc: UInt64, sentAtMs: Int64) {
    self.seq = seq
    self.originSeq = originSeq
    self.hlc = hlc
    self.sentAtMs = sentAtMs
  }
}

extension Relay_V1_MailboxEntry {
  /// A `delivered` or `read` receipt entry for a sender's device, its cursor unset.
  package static func receipt(
    conversationID: String, seq: UInt64, messageID: String, status: Relay_V1_ReceiptStatus, by device: DeviceAddress,
    atMs: Int64
  ) -> Self {
    var receipt = Relay_V1_Receipt()
    receipt.conversationID = conversationID
    receipt.seq = seq
    receipt.messageID = messageID
    receipt.status = status
    receipt.by = device.description
    receipt.atMs = atMs
    var entry = Self()
    entry.receipt = receipt
    return entry
  }
}
