internal import RelayCore
package import Wire

/// Where this relay's presence and typing changes go beyond it: the peer
/// relays whose users take part. Implemented by ``Federator``; the server's
/// presence calls it.
package protocol PresenceFederation: Sendable {
  /// A user's presence changed (only this relay's users go further).
  func presenceChanged(_ presence: Relay_V1_Presence)
  /// A user started or stopped typing (only this relay's users go further).
  func typingChanged(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress])
}
