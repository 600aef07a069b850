internal import GRPCCore
internal import Logging
internal import RelayCore
internal import SwiftProtobuf
package import Wire

/// Presence and typing across relays: ephemeral, best effort, never stored.
/// Between the regions of a domain too (docs/regions.md): a typing change
/// goes to every other region, a presence subscription to the user's home
/// region; the gateway region passes both on across domains.
extension Federator: PresenceFederation {
  /// Peers may watch at most this many of this relay's users each.
  static let maxWatchedUsersPerPeer = 10_000

  /// A presence change here, of a user homed here or one this relay watches
  /// for a peer (the gateway, passing it on): to the peers that watch it.
  package func presenceChanged(_ presence: Relay_V1_Presence) {
    guard let user = try? UserAddress(parsing: presence.user) else { return }
    var batch = Relay_V1_SignalBatch()
    batch.presence = [presence]
    self.signal(batch, to: self.watchers(of: user))
  }

  package func typingChanged(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress]) {
    guard user.domain == self.localDomain else { return }
    var signal = Relay_V1_TypingSignal()
    signal.conversationID = conversationID
    signal.user = user.description
    signal.typing = typing
    self.signal(typing: signal, to: self.relays(of: audience.filter { $0 != user }))
  }

  /// On the gateway region: a typing change from `peer` goes on across domains.
  func passOn(_ typing: Relay_V1_TypingSignal, members: [UserAddress], _ forwarding: GatewayForwarding) {
    self.signal(typing: typing, to: self.relays(of: members).filter(forwarding.crosses(to:)))
  }

  /// The relays that may home `users`: the domains of other domains' users;
  /// every other region when one is of this domain (only the directory says
  /// which region homes it, and a typing signal is cheaper than a read).
  private func relays(of users: [UserAddress]) -> Set<String> {
    var relays = Set(users.lazy.filter { $0.domain != self.localDomain }.map(\.domain))
    if users.contains(where: { $0.domain == self.localDomain }) { relays.formUnion(self.siblings) }
    return relays
  }

  /// Tells each remote user's relay (a ``RelayID``, by user) that devices
  /// here watch the user, and returns their current presence (nothing for a
  /// relay that cannot be reached).
  package func watch(_ users: [UserAddress: String]) async -> [Relay_V1_Presence] {
    var current = [Relay_V1_Presence]()
    for (relay, watched) in Dictionary(grouping: users, by: \.value) {
      guard let link = self.link(relay) else { continue }
      var batch = Relay_V1_SignalBatch()
      let names = Set(watched.map(\.key.description))
      batch.watch = names.sorted()
      do {
        let ack = try await link.client.signal(batch)
        current += ack.current.filter { names.contains($0.user) }
      } catch {
        link.logger.debug("the peer did not answer a presence subscription", metadata: ["error": "\(error)"])
      }
    }
    return current
  }

  private func signal(typing: Relay_V1_TypingSignal, to relays: some Sequence<String>) {
    var batch = Relay_V1_SignalBatch()
    batch.typing = [typing]
    self.signal(batch, to: relays)
  }

  /// One signal per link: relays reached through the same link (the gateway) get it once.
  private func signal(_ batch: Relay_V1_SignalBatch, to relays: some Sequence<String>) {
    var sent = Set<String>()
    for relay in relays {
      guard let link = self.link(relay), sent.insert(link.peer.relay).inserted else { continue }
      link.signal(batch)
    }
  }
}
