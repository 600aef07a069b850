internal import Foundation
package import Wire

/// What a peer may say: events only for its own domain, copies only for this
/// relay's devices, sizes within the limits. Backend-free, so every backend
/// refuses the same events with the same messages.
public struct FederationRules: Sendable {
  public var localDomain: String
  public var maxEnvelopeBytes: Int
  public var maxCopies: Int
  public var maxMembers: Int
  /// This relay as a region of its domain, and its domain's gateway to other
  /// domains (docs/regions.md, "Other domains"); nil for a relay that is no region.
  public var region: LocalRegion?
  /// Entries in one `Reconcile` request (each costs a look-up); a relay
  /// that shares more conversations with a peer sends several requests.
  public static let maxReconcileEntries = 4096

  public init(
    localDomain: String, maxEnvelopeBytes: Int, maxCopies: Int, maxMembers: Int, region: LocalRegion? = nil
  ) {
    self.localDomain = localDomain
    self.maxEnvelopeBytes = maxEnvelopeBytes
    self.maxCopies = maxCopies
    self.maxMembers = maxMembers
    self.region = region
  }

  /// A replicated message's sender, and its copies for devices of this relay.
  package func check(
    _ message: Relay_V1_ReplicatedMessage, from peer: String
  ) throws(RelayError)
    -> (sender: DeviceAddress, copies: [SendCommand.Copy])
  {
    let sender = try Self.device(message.sender, "message sender")
    guard self.passesOn(message.originRelay, from: peer), self.speaks(peer, for: sender.user) else {
      throw RelayError(.permissionDenied, "a peer may only replicate messages of its own domain")
    }
    let forwardsAbroad = self.forwardsAbroad(from: peer)
    let copies = try self.content(of: message) { (device) throws(RelayError) in
      guard device.user.domain == self.localDomain || forwardsAbroad else {
        throw RelayError(.permissionDenied, "a replicated message carries a copy for another relay's device")
      }
    }
    return (sender, copies)
  }

  /// A replicated message's fields and copies, each copy's device first
  /// passed to `allowed` (which throws for a device the sender may not address).
  package func content(
    of message: Relay_V1_ReplicatedMessage, allowed: (DeviceAddress) throws(RelayError) -> Void
  ) throws(RelayError) -> [SendCommand.Copy] {
    _ = try RequestValidation.messageID(message.messageID)
    _ = try RequestValidation.conversationID(message.conversationID)
    // Both are stored as signed 64-bit integers (the clock by its bit pattern, which must sort as it compares).
    _ = try Int64(wire: message.hlc, field: "hlc")
    guard try Int64(wire: message.originSeq, field: "origin_seq") > 0 else {
      throw RelayError(.invalidArgument, "origin_seq must be positive")
    }
    guard message.copies.count <= self.maxCopies else {
      throw RelayError(.resourceExhausted, "a message may carry at most \(self.maxCopies) copies")
    }
    var copies = [SendCommand.Copy]()
    copies.reserveCapacity(message.copies.count)
    for copy in message.copies {
      let device = try Self.device(copy.device, "copy device")
      try allowed(device)
      guard !copy.ciphertext.isEmpty, copy.ciphertext.count <= self.maxEnvelopeBytes else {
        throw RelayError(.resourceExhausted, "a copy is empty or over the \(self.maxEnvelopeBytes)-byte limit")
      }
      copies.append(SendCommand.Copy(device: device, ciphertext: copy.ciphertext))
    }
    return copies
  }

  /// A replicated receipt's message sender (here) and recipient (on `peer`).
  package func check(
    _ receipt: Relay_V1_ReplicatedReceipt, from peer: String
  ) throws(RelayError)
    -> (sender: DeviceAddress, by: DeviceAddress)
  {
    let sender = try Self.device(receipt.sender, "receipt sender")
    let by = try Self.device(receipt.by, "receipt by")
    guard self.speaks(peer, for: by.user), sender.user.domain == self.localDomain || self.forwardsAbroad(from: peer)
    else {
      throw RelayError(.permissionDenied, "a peer may only report receipts of its own devices for this relay's senders")
    }
    guard receipt.status == .delivered || receipt.status == .read else {
      throw RelayError(.invalidArgument, "a replicated receipt is DELIVERED or READ")
    }
    _ = try RequestValidation.conversationID(receipt.conversationID)
    return (sender, by)
  }

  /// A conversation state's members, checked to be owned by `peer`.
  package func check(
    _ state: Relay_V1_ConversationState, from peer: String
  ) throws(RelayError)
    -> [ConversationRecord.Member]
  {
    guard self.passesOn(state.homeRelay, from: peer) else {
      throw RelayError(.permissionDenied, "a peer may only replicate conversations it owns")
    }
    return try self.members(of: state)
  }

  /// A conversation state's fields and members, whoever owns it.
  package func members(of state: Relay_V1_ConversationState) throws(RelayError) -> [ConversationRecord.Member] {
    _ = try RequestValidation.conversationID(state.id)
    guard try Int64(wire: state.version, field: "conversation version") > 0,
      state.kind == .direct || state.kind == .group
    else {
      throw RelayError(.invalidArgument, "a conversation state needs a version and a kind")
    }
    guard state.members.count <= self.maxMembers, state.name.utf8.count <= 256 else {
      throw RelayError(.resourceExhausted, "a conversation state is over the member or name limit")
    }
    try RequestValidation.text(state.name, field: "conversation name", maxBytes: 256)
    try RequestValidation.text(state.createdBy, field: "created_by", maxBytes: 320)
    return try state.members.map { (member) throws(RelayError) in
      ConversationRecord.Member(
        user: try RequestValidation.user(member.user, field: "member"),
        role: member.role == .admin ? .admin : .member)
    }
  }

  /// A device list's user, checked to be homed on `peer`.
  package func check(_ list: Relay_V1_DeviceList, from peer: String) throws(RelayError) -> UserAddress {
    let user = try RequestValidation.user(list.user, field: "device list user")
    guard self.speaks(peer, for: user) else {
      throw RelayError(.permissionDenied, "a peer may only describe the devices of its own users")
    }
    guard list.devices.count <= 64 else { throw RelayError(.resourceExhausted, "a device list is over 64 devices") }
    return user
  }

  static func device(_ text: String, _ field: String) throws(RelayError) -> DeviceAddress {
    try RequestValidation.device(text, field: field)
  }
}
