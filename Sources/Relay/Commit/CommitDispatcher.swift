internal import Federation
internal import RelayCore

/// What follows every commit, whichever path made it: a client's send, ack
/// or read mark, a membership change, or a batch of a peer's events.
///
/// One function, so the flow of a message after its commit reads in one
/// place: the devices with new mailbox entries are rung (a live session here
/// writes them at once; one connected to another node of the region is rung
/// there through the region link, by ``SessionRegistry/ring(_:)``), and the
/// peer links are woken, since the same transaction may have written to a
/// peer's outbox (a message or receipt for its users, a membership change).
/// Devices with no session here are hinted to the pusher, which wakes those
/// that are offline through the push gateway.
struct CommitDispatcher: FederationDelivery {
  let sessions: SessionRegistry
  /// The peer links, when this relay has peers.
  let federator: Federator?
  /// Push wake-ups, when the relay has a push gateway.
  let pusher: Pusher?
  /// Forgets a rehomed user's devices' home checks.
  let authenticator: Authenticator

  func committed(_ doorbells: [Doorbell]) {
    let away = self.sessions.ring(doorbells)
    // A device with no session here may be offline: push decides (after
    // asking the region, on a region node).
    if let pusher = self.pusher, !away.isEmpty { pusher.hint(Array(Set(away.lazy.map(\.device)))) }
    self.federator?.wake()
  }

  func rehomed(_ homes: [HomeClaim]) {
    self.authenticator.recheckHomes(of: homes.map(\.user))
    for home in homes {
      let error = self.authenticator.regions.located(.homedElsewhere(home))
      for session in self.sessions.sessions(of: [home.user]) { session.close(error) }
    }
  }
}
