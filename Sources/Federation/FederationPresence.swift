internal import RelayCore
package import Wire

/// What the federation service asks of this relay's presence when a peer
/// signals: one of the two ways federation talks back to the server (the
/// other is ``FederationDelivery``). Implemented by the server's presence hub.
package protocol FederationPresence: Sendable {
  /// A peer's user started or stopped typing: tell the `audience` connected here.
  func broadcastTyping(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress])
  /// A peer's user's presence changed: tell the sessions here that subscribed to it.
  func deliver(_ presence: Relay_V1_Presence)
  /// The current presence of these local users, as this relay knows it.
  func current(_ users: [UserAddress]) -> [Relay_V1_Presence]
}
