internal import GRPCCore
internal import Logging
internal import RelayCore
internal import SwiftProtobuf
package import Wire

/// Presence and typing across relays: ephemeral, best effort, never stored.
extension Federator: PresenceFederation {
  /// Peers may watch at most this many of this relay's users each.
  static let maxWatchedUsersPerPeer = 10_000

  package func presenceChanged(_ presence: Relay_V1_Presence) {
    guard let user = try? UserAddress(parsing: presence.user), user.domain == self.localDomain else { return }
    for peer in self.watchers(of: user) {
      var batch = Relay_V1_SignalBatch()
      batch.presence = [presence]
      self.signal(batch, to: peer)
    }
  }

  package func typingChanged(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress]) {
    guard user.domain == self.localDomain else { return }
    let peers = Set(audience.map(\.domain)).subtracting([self.localDomain])
    for peer in peers {
      var batch = Relay_V1_SignalBatch()
      batch.typing = [
        .with {
          $0.conversationID = conversationID
          $0.user = user.description
          $0.typing = typing
        }
      ]
      self.signal(batch, to: peer)
    }
  }

  /// Tells each remote user's relay that devices here watch the user, and
  /// returns their current presence (nothing for a relay that cannot be reached).
  package func watch(_ users: [UserAddress]) async -> [Relay_V1_Presence] {
    var current = [Relay_V1_Presence]()
    for (peer, watched) in Dictionary(grouping: users, by: \.domain) where peer != self.localDomain {
      guard let link = self.link(peer) else { continue }
      var batch = Relay_V1_SignalBatch()
      batch.watch = watched.map(\.description)
      do {
        let ack = try await link.client.signal(batch)
        current += ack.current.filter { watched.map(\.description).contains($0.user) }
      } catch {
        link.logger.debug("the peer did not answer a presence subscription", metadata: ["error": "\(error)"])
      }
    }
    return current
  }

  private func signal(_ batch: Relay_V1_SignalBatch, to peer: String) { self.link(peer)?.signal(batch) }
}
