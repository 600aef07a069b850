package import Foundation
internal import SwiftProtobuf
package import TLSIdentity
package import Wire

/// The events a commit writes to a peer's outbox, built the same way by every backend.
extension Relay_V1_FederationEvent {
  /// A committed message for `peer`, carrying only the copies for its devices.
  package static func message(
    _ send: SendCommand, _ placed: PlacedMessage, copies: some Sequence<SendCommand.Copy>
  ) -> Self {
    var message = Relay_V1_ReplicatedMessage()
    message.conversationID = send.conversationID
    message.messageID = send.messageID.text
    message.sender = send.sender.description
    message.hlc = placed.hlc
    message.originRelay = send.originRelay
    message.originSeq = placed.originSeq
    message.sentAtMs = placed.sentAtMs
    message.copies = copies.map(\.sealed)
    var event = Self()
    event.message = message
    return event
  }

  /// A delivered/read receipt for the devices of a message's sender on another relay.
  package static func receipt(
    conversationID: String, messageID: String, sender: DeviceAddress, status: Relay_V1_ReceiptStatus,
    by device: DeviceAddress, atMs: Int64
  ) -> Self {
    var receipt = Relay_V1_ReplicatedReceipt()
    receipt.conversationID = conversationID
    receipt.messageID = messageID
    receipt.sender = sender.description
    receipt.status = status
    receipt.by = device.description
    receipt.atMs = atMs
    var event = Self()
    event.receipt = receipt
    return event
  }

  /// A conversation's metadata at `version`, as its owning relay holds it.
  package static func conversation(_ record: ConversationRecord, createdBy: String, version: Int64) -> Self {
    let wire = record.wire
    var state = Relay_V1_ConversationState()
    state.id = wire.id
    state.kind = wire.kind
    state.name = wire.name
    state.homeRelay = wire.homeRelay
    state.createdBy = createdBy
    state.createdAtMs = wire.createdAtMs
    state.members = wire.members
    state.version = UInt64(version)
    var event = Self()
    event.conversation = state
    return event
  }

  package func serialized() throws -> Data { try self.serializedBytes() }

  /// A local user's device list, for the peers whose users share a conversation with it.
  package static func deviceList(of user: UserAddress, _ devices: [Relay_V1_DeviceInfo]) -> Self {
    var event = Self()
    event.deviceList.user = user.description
    event.deviceList.devices = devices
    return event
  }

  /// The key fingerprints of a user's devices, from its home to the other regions of the domain.
  package static func regionDevices(of user: UserAddress, _ fingerprints: [Fingerprint]) -> Self {
    var event = Self()
    event.regionDevices.user = user.description
    event.regionDevices.fingerprints = fingerprints.map { Data($0.bytes) }
    return event
  }
}

extension SendCommand.Copy {
  /// The copy as a replicated message carries it.
  package var sealed: Relay_V1_SealedCopy {
    var sealed = Relay_V1_SealedCopy()
    sealed.device = self.device.description
    sealed.ciphertext = self.ciphertext
    return sealed
  }
}

extension SendCommand {
  /// The copies addressed to devices of other relays, by relay id.
  package func remoteCopies(_ relays: RelayMap) -> [String: [Copy]] {
    var byRelay = [String: [Copy]]()
    for copy in self.copies {
      let relay = relays.relay(of: copy.device.user)
      if relay != self.originRelay { byRelay[relay, default: []].append(copy) }
    }
    return byRelay
  }
}
