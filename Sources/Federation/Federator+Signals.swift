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
    var relays = Set(audience.lazy.filter { $0.domain != self.localDomain }.map(\.domain))
    // Where a user of the domain is homed, only the directory says: every other region hears it.
    if audience.contains(where: { $0.domain == self.localDomain && $0 != user }) { relays.formUnion(self.siblings) }
    self.signal(Self.typingBatch(conversationID: conversationID, user: user, typing: typing), to: relays)
  }

  /// On the gateway region: a typing change from `peer` goes on across domains.
  func passOn(_ typing: Relay_V1_TypingSignal, members: [UserAddress], _ forwarding: GatewayForwarding) {
    let relays = Set(members.lazy.filter { $0.domain != self.localDomain }.map(\.domain)).union(self.siblings)
    var batch = Relay_V1_SignalBatch()
    batch.typing = [typing]
    self.signal(batch, to: relays.filter(forwarding.crosses(to:)))
  }

  /// Tells each remote user's relay (a ``RelayID``, by user) that devices
  /// here watch the user, and returns their current presence (nothing for a
  /// relay that cannot be reached).
  package func watch(_ users: [UserAddress: String]) async -> [Relay_V1_Presence] {
    var current = [Relay_V1_Presence]()
    for (relay, watched) in Dictionary(grouping: users.keys, by: { users[$0]! }) {
      guard let link = self.link(relay) else { continue }
      var batch = Relay_V1_SignalBatch()
      let names = Set(watched.map(\.description))
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

  private static func typingBatch(conversationID: String, user: UserAddress, typing: Bool) -> Relay_V1_SignalBatch {
    var signal = Relay_V1_TypingSignal()
    signal.conversationID = conversationID
    signal.user = user.description
    signal.typing = typing
    var batch = Relay_V1_SignalBatch()
    batch.typing = [signal]
    return batch
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
