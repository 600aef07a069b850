package import Wire

/// Where a conversation's state goes after a change on its home relay: to
/// every other relay that homes one of its members and to `alsoTo` (relays
/// whose users just left), together with the device lists of the home
/// relay's members, so that those relays' users can address them without a
/// look-up first. The stores read the members and write what this decides.
package struct ConversationReplication: Sendable, Equatable {
  /// The peers that get the conversation's state, in domain order.
  package let peers: [String]
  /// The home relay's members whose device lists go with it (none when no peer does).
  package let announced: [UserAddress]

  package init(home: String, members: [UserAddress], alsoTo: Set<String> = [], relays: RelayMap) {
    self.peers = alsoTo.union(members.map(relays.relay(of:))).subtracting([home]).sorted()
    self.announced = self.peers.isEmpty ? [] : members.filter { relays.relay(of: $0) == home }
  }

  /// The peers that learn a local user's new device list: the relays homing
  /// anyone who shares a conversation with the user, in relay id order.
  package static func deviceListPeers(of user: UserAddress, coMembers: [UserAddress], relays: RelayMap) -> [String] {
    Set(coMembers.map(relays.relay(of:))).subtracting([relays.relay(of: user)]).sorted()
  }
}
