package import TLSIdentity
package import Wire

/// A peer's event after ``FederationRules`` checked it: what each store
/// applies, with the addresses and members already parsed and validated.
package enum PeerEvent: Sendable {
  case message(Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy])
  case receipt(Relay_V1_ReplicatedReceipt, sender: DeviceAddress, by: DeviceAddress)
  case conversation(Relay_V1_ConversationState, members: [ConversationRecord.Member])
  case deviceList(Relay_V1_DeviceList, user: UserAddress)
  case homeClaim(HomeClaim)
  case regionDevices(UserAddress, fingerprints: [Fingerprint])
  /// A user moved here from the sending region (docs/regions.md, "Moving a user").
  case userTransfer(UserTransferPlan)
  /// One of the first parts of a transfer too large for one event, kept aside until the last.
  case transferPart(TransferPart)
  /// What reached a moved user's old home after the move, passed on.
  case moveForward(Forwarded)
  /// A region learnt that a user moved away from here (docs/regions.md, "Arrival order").
  case moveMarker(MoveMarker)

  package enum Forwarded: Sendable {
    case message(Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy], user: UserAddress)
    case receipt(Relay_V1_ReplicatedReceipt, sender: DeviceAddress, by: DeviceAddress, user: UserAddress)
    /// Everything the marker's region sent the old home for the user before it knew is passed on.
    case marker(MoveMarker)

    /// The moved user.
    package var user: UserAddress {
      switch self {
      case .message(_, _, _, let user), .receipt(_, _, _, let user): user
      case .marker(let marker): marker.user
      }
    }
  }
}

extension FederationRules {
  /// Checks any event from `peer`; throws ``RelayError`` for an invalid or empty one.
  package func check(_ event: Relay_V1_FederationEvent, from peer: String) throws(RelayError) -> PeerEvent {
    switch event.event {
    case .message(let message):
      let (sender, copies) = try self.check(message, from: peer)
      return .message(message, sender: sender, copies: copies)
    case .receipt(let receipt):
      let (sender, by) = try self.check(receipt, from: peer)
      return .receipt(receipt, sender: sender, by: by)
    case .conversation(let state):
      return .conversation(state, members: try self.check(state, from: peer))
    case .deviceList(let list):
      return .deviceList(list, user: try self.check(list, from: peer))
    case .homeClaim(let claim):
      return .homeClaim(try self.check(claim, from: peer))
    case .regionDevices(let devices):
      let (user, fingerprints) = try self.check(devices, from: peer)
      return .regionDevices(user, fingerprints: fingerprints)
    case .userTransfer(let transfer):
      if transfer.parts > 1, transfer.part < transfer.parts - 1 {
        return .transferPart(try self.checkPart(transfer, from: peer))
      }
      return .userTransfer(try self.check(transfer, from: peer))
    case .moveForward(let forward):
      return .moveForward(try self.check(forward, from: peer))
    case .moveMarker(let marker):
      return .moveMarker(try self.check(marker, from: peer))
    case nil:
      throw RelayError(.invalidArgument, "an empty federation event")
    }
  }
}
