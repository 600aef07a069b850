package import Wire

/// A user's transfer from its old home, checked (``FederationRules/check(_:from:)-transfer``):
/// what the new home's store applies, with every address parsed.
package struct UserTransferPlan: Sendable {
  package typealias Message = (wire: Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy])
  package var claim: HomeClaim
  /// The old home's region name (the sender).
  package var source: String
  package var transfer: Relay_V1_UserTransfer
  package var conversations: [(state: Relay_V1_ConversationState, members: [ConversationRecord.Member])]
  package var messages: [Message]
}

extension RelayConfiguration {
  /// The rules this relay holds its peers' events to.
  package var federationRules: FederationRules {
    FederationRules(
      localDomain: self.domain, maxEnvelopeBytes: self.limits.maxEnvelopeBytes, maxCopies: self.limits.maxCopiesPerSend,
      maxMembers: self.limits.maxGroupMembers, region: self.localRegion)
  }
}

extension FederationRules {
  /// The rules as region `name` of this domain holds them (the same limits):
  /// what a move's old home checks its transfer against before handing off.
  package func asRegion(_ name: String) -> FederationRules {
    var rules = self
    rules.region = self.region.map { LocalRegion(domain: $0.domain, name: name, gateway: $0.gateway) }
    return rules
  }

  /// Prekeys a transferred device may bring, of each kind.
  package static let maxTransferredPrekeys = 100_000

  /// A transfer: only from another region of this domain, for a user of it,
  /// naming this region as the new home at a version past the first; every
  /// device, key, entry and copy well-formed and the user's own. (The store
  /// checks that its directory homes the user in the sending region.)
  package func check(_ transfer: Relay_V1_UserTransfer, from peer: String) throws(RelayError) -> UserTransferPlan {
    let (source, region, user) = try self.transferHeader(transfer, from: peer)
    guard transfer.parts <= 1 ? transfer.part == 0 : transfer.part == transfer.parts - 1 else {
      throw RelayError(.invalidArgument, "a transfer's devices and conversations come in its last part")
    }
    guard transfer.devices.count <= 256 else { throw RelayError(.resourceExhausted, "a transfer is over 256 devices") }
    var cursors = [String: ClosedRange<Int64>]()
    for device in transfer.devices {
      let address = try RequestValidation.device("\(user)/\(device.deviceID)", field: "transferred device")
      try RequestValidation.bytes(device.fingerprint, 32, field: "transferred device fingerprint")
      try RequestValidation.identityKey(device.identity)
      try RequestValidation.signedPrekey(device.signedPrekey, field: "signed_prekey")
      try RequestValidation.kemPrekey(device.kemLastResort, field: "kem_last_resort")
      try RequestValidation.oneTimePrekeys(
        device.oneTimePrekeys, device.kemPrekeys, limit: Self.maxTransferredPrekeys)
      if device.hasPush { _ = try PushEndpoint(wire: device.push) }
      let acked = try Int64(wire: device.ackedCursor, field: "acked_cursor")
      let head = try Int64(wire: device.mailboxHead, field: "mailbox_head")
      guard acked <= head, cursors.updateValue(acked ... head, forKey: address.deviceID) == nil else {
        throw RelayError(.invalidArgument, "a transferred device is listed twice or acked past its head")
      }
    }
    for entry in transfer.entries {
      guard let range = cursors[entry.deviceID], let cursor = Int64(exactly: entry.cursor),
        cursor > range.lowerBound, cursor <= range.upperBound
      else { throw RelayError(.invalidArgument, "a transferred entry is outside its device's mailbox") }
      try Self.checkFields(of: entry)
    }
    for cover in transfer.covers {
      _ = try RequestValidation.conversationID(cover.conversationID)
      _ = try RequestValidation.text(cover.originRelay, field: "cover origin", maxBytes: 320)
      _ = try Int64(wire: cover.contiguousSeq, field: "cover contiguous_seq")
    }
    let conversations = try transfer.conversations.map { (state) throws(RelayError) in
      (state: state, members: try self.members(of: state))
    }
    let messages = try transfer.messages.map { (message) throws(RelayError) -> UserTransferPlan.Message in
      (message, try Self.device(message.sender, "message sender"), try self.copies(of: message, for: user))
    }
    let claim = HomeClaim(
      user: user, region: region.name, claimedHLC: transfer.claim.claimedHlc, version: transfer.claim.version,
      movedFrom: source)
    return UserTransferPlan(
      claim: claim, source: source, transfer: transfer, conversations: conversations, messages: messages)
  }

  /// Who hands whom over: another region of this domain (named in the claim as
  /// the one the user moved from), a user of the domain, this region named as
  /// the new home, at a version past the first.
  func transferHeader(
    _ transfer: Relay_V1_UserTransfer, from peer: String
  ) throws(RelayError) -> (source: String, region: LocalRegion, user: UserAddress) {
    guard let source = RelayID.region(of: peer), RelayID.domain(of: peer) == self.localDomain,
      let region = self.region
    else { throw RelayError(.permissionDenied, "only another region of this domain may hand over a user") }
    let user = try RequestValidation.user(transfer.claim.user, field: "transfer user")
    guard user.domain == self.localDomain, transfer.claim.region == region.name else {
      throw RelayError(.permissionDenied, "a region may only hand over users of its domain to the receiving region")
    }
    _ = try Int64(wire: transfer.claim.claimedHlc, field: "claimed_hlc")
    guard try Int64(wire: transfer.claim.version, field: "home version") > 1 else {
      throw RelayError(.invalidArgument, "a moved user's home version is past 1")
    }
    guard try Self.movedFrom(transfer.claim) == source else {
      throw RelayError(.invalidArgument, "a transfer's claim names the sending region as the one moved from")
    }
    guard transfer.parts <= Relay_V1_UserTransfer.maxParts else {
      throw RelayError(
        .resourceExhausted, "a transfer is over \(Relay_V1_UserTransfer.maxParts) parts")
    }
    return (source, region, user)
  }

  /// A transferred entry's own fields (its cursor is checked against its device's).
  static func checkFields(of entry: Relay_V1_TransferredEntry) throws(RelayError) {
    _ = try RequestValidation.conversationID(entry.conversationID)
    _ = try Int64(wire: entry.originSeq, field: "origin_seq")
    guard [.unspecified, .delivered, .read].contains(entry.receiptStatus) else {
      throw RelayError(.invalidArgument, "a transferred entry is an envelope or a DELIVERED or READ receipt")
    }
    _ = try RequestValidation.text(entry.receiptBy, field: "receipt_by", maxBytes: 320)
  }

  /// What a moved user's old home passes on: only from another region of this
  /// domain, for a user of it; a message with copies for that user's devices
  /// only, a receipt for a message that user sent. (The store checks that the
  /// user moved here from the sending region.)
  package func check(_ forward: Relay_V1_MoveForward, from peer: String) throws(RelayError) -> PeerEvent.Forwarded {
    guard RelayID.region(of: peer) != nil, RelayID.domain(of: peer) == self.localDomain else {
      throw RelayError(.permissionDenied, "only another region of this domain may pass on a moved user's events")
    }
    let user = try RequestValidation.user(forward.user, field: "moved user")
    guard user.domain == self.localDomain else {
      throw RelayError(.permissionDenied, "a region may only pass on events of users of its domain")
    }
    switch forward.event {
    case .message(let message):
      let sender = try Self.device(message.sender, "message sender")
      return .message(message, sender: sender, copies: try self.copies(of: message, for: user), user: user)
    case .receipt(let receipt):
      let sender = try Self.device(receipt.sender, "receipt sender")
      let by = try Self.device(receipt.by, "receipt by")
      guard sender.user == user, receipt.status == .delivered || receipt.status == .read else {
        throw RelayError(.invalidArgument, "a passed-on receipt is DELIVERED or READ, for the moved user's message")
      }
      _ = try RequestValidation.conversationID(receipt.conversationID)
      return .receipt(receipt, sender: sender, by: by, user: user)
    case .marker(let marker):
      let marker = try self.marker(marker)
      guard marker.user == user, marker.region != RelayID.region(of: peer) else {
        throw RelayError(.invalidArgument, "a passed-on marker is for the moved user, from a third region")
      }
      return .marker(marker)
    case nil:
      throw RelayError(.invalidArgument, "an empty passed-on event")
    }
  }

  func copies(
    of message: Relay_V1_ReplicatedMessage, for user: UserAddress
  ) throws(RelayError)
    -> [SendCommand.Copy]
  {
    try self.content(of: message) { (device) throws(RelayError) in
      guard device.user == user else {
        throw RelayError(.permissionDenied, "a moved user's message carries a copy for another user's device")
      }
    }
  }
}
