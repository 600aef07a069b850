internal import Federation
internal import RelayCore
internal import Wire

/// What a peer's signals ask of presence here (``FederationPresence``):
/// typing and presence of its users, and a snapshot of the local users its
/// devices watch.
extension PresenceHub: FederationPresence {
  func broadcastTyping(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress]) {
    self.broadcastTyping(.init(conversationID: conversationID, user: user), typing: typing, audience: audience)
  }
}
