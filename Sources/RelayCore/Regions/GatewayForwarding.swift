package import Wire

/// What the domain's gateway region passes on after applying a peer's event
/// (docs/regions.md, "Other domains"): events of another domain go on to
/// the regions that home their users; events of another region go on to the
/// relays of other domains whose users they concern. Never region to region,
/// never back to their sender, so nothing circles. Backend-free: a store
/// names the event's ``Audience``, reads where those users live and queues
/// each forward in the transaction that applies the event.
package struct GatewayForwarding: Sendable {
  /// The gateway itself.
  package let local: LocalRegion
  /// The relay the event came from.
  let peer: String

  /// Forwarding for an event from `peer`, on a relay that is its domain's gateway; nil elsewhere.
  package init?(rules: FederationRules, from peer: String) {
    guard let local = rules.region, local.isGateway else { return nil }
    self.local = local
    self.peer = peer
  }

  /// The users an event concerns, whose relays may need it.
  package enum Audience: Sendable {
    /// The conversation's members (its members before and after, for a new state).
    case members(conversationID: String, also: [UserAddress])
    /// The users who share a conversation with this one.
    case coMembers(UserAddress)
    /// One user: a receipt's message sender.
    case user(UserAddress)
    /// Region-only events stay here.
    case nobody
  }

  package static func audience(of event: PeerEvent) -> Audience {
    switch event {
    case .message(let message, _, _): .members(conversationID: message.conversationID, also: [])
    case .conversation(let state, let members): .members(conversationID: state.id, also: members.map(\.user))
    case .receipt(_, let sender, _): .user(sender.user)
    case .deviceList(_, let user): .coMembers(user)
    case .homeClaim, .regionDevices, .userTransfer, .transferPart, .moveForward, .moveMarker: .nobody
    }
  }

  /// Whether an event may cross to `relay`: from another domain to a region, or from a region to another domain.
  package func crosses(to relay: String) -> Bool {
    let fromRegion = RelayID.domain(of: self.peer) == self.local.domain
    let toRegion = RelayID.domain(of: relay) == self.local.domain
    return relay != self.local.relay && relay != self.peer && fromRegion != toRegion
  }

  /// The events to queue, by relay, for `event` whose audience lives where `relays` says.
  package func forwards(
    _ event: PeerEvent, wire: Relay_V1_FederationEvent, audience: [UserAddress], relays: RelayMap
  ) -> [(relay: String, event: Relay_V1_FederationEvent)] {
    let targets = Set(audience.map(relays.relay(of:))).filter(self.crosses(to:)).sorted()
    guard case .message(let message, _, let copies) = event else { return targets.map { ($0, wire) } }
    // Each relay gets the message with the copies for its own devices only.
    return targets.map { relay in
      var forwarded = message
      forwarded.copies = copies.filter { relays.relay(of: $0.device.user) == relay }.map(\.sealed)
      var event = Relay_V1_FederationEvent()
      event.message = forwarded
      return (relay, event)
    }
  }

  /// Whether the gateway applies the event itself too: not a receipt for a
  /// sender it does not home (it only passes that on).
  package func appliesHere(_ event: PeerEvent, relays: RelayMap) -> Bool {
    guard case .receipt(_, let sender, _) = event else { return true }
    return relays.relay(of: sender.user) == self.local.relay
  }
}
