internal import Federation
internal import RelayCore
internal import Wire

/// What a peer's signals ask of presence here (``FederationPresence``):
/// typing and presence of its users, and a snapshot of the local users its
/// devices watch.
extension PresenceHub: FederationPresence {
  func broadcastTyping(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress]) {
    // Only to the sessions here: the relay it came from told every other one that needs it.
    self.pushTyping(.init(conversationID: conversationID, user: user), typing: typing, audience: audience)
  }
}
