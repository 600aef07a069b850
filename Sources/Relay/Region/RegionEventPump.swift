internal import RelayCore
internal import ServiceLifecycle
internal import Wire

/// Delivers what arrives from the region's Redis channels to the sessions on
/// this node: doorbells to the device's session, presence to subscribers,
/// typing from other nodes to the audience. When the node (re)connects it
/// records its sessions again, lets each look at its mailbox, and sends the
/// doorbells it could not send while Redis was away.
struct RegionEventPump: Service {
  let events: AsyncStream<RegionEvent>
  let link: RegionLink
  let sessions: SessionRegistry
  let presence: PresenceHub

  func run() async throws {
    for await event in self.events.cancelOnGracefulShutdown() {
      switch event {
      case .connected:
        // Redis may have restarted and forgotten this node's sessions, and
        // doorbells may have been lost while it was away: record the sessions
        // again and let each one look at its mailbox.
        for session in self.sessions.all() {
          await self.presence.reconnected(session)
          session.ring()
        }
        // Doorbells this node could not send meanwhile go out now.
        self.link.reconnected()
      case .resync:
        for session in self.sessions.all() { session.ring() }
      case .doorbell(let device, let cursor):
        self.sessions.ringHere([Doorbell(device: device, cursor: cursor)])
      case .presence(let user, let online, let lastSeen):
        var update = Relay_V1_Presence()
        update.user = user.description
        update.online = online
        update.lastSeenMs = lastSeen
        self.presence.deliver(update)
      case .typing(let node, let conversationID, let user, let typing, let audience):
        // This node told its own sessions when it happened.
        guard node != self.link.nodeID else { continue }
        self.presence.pushTyping(
          .init(conversationID: conversationID, user: user), typing: typing, audience: audience)
      }
    }
  }
}
