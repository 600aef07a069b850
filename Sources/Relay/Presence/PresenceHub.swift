internal import Federation
internal import RelayCore
internal import Synchronization
internal import Wire

/// Presence: the state machines of this process behind one lock, the
/// subscriptions, and delivery of updates to subscribed sessions only.
///
/// On the embedded relay that is all of it. On a region node, `region`
/// carries what this node sees to the other nodes (and back): a user's
/// presence changes are announced there and delivered to subscribers when
/// they come back, since the user may have devices on other nodes.
final class PresenceHub: PresenceTracker {
  private struct State {
    var presence: PresenceStateMachine
    var typing: TypingStateMachine
    /// user -> subscribed sessions (by session id)
    var subscribers: [UserAddress: [UInt64: DeviceSession]] = [:]
    /// session id -> users it watches, to clean up when it goes
    var watching: [UInt64: Set<UserAddress>] = [:]
  }

  private let state: Mutex<State>
  private let sessions: SessionRegistry
  private let clock = ContinuousClock()
  private let epoch: ContinuousClock.Instant
  private let wallClock: @Sendable () -> Int64
  private let region: (any PresenceRegion)?
  private let federation: (any PresenceFederation)?

  init(
    configuration: RelayConfiguration.Presence, sessions: SessionRegistry, region: (any PresenceRegion)? = nil,
    federation: (any PresenceFederation)? = nil, wallClock: @escaping @Sendable () -> Int64
  ) {
    self.federation = federation
    self.state = Mutex(
      State(
        presence: PresenceStateMachine(ttl: configuration.ttl), typing: TypingStateMachine(ttl: configuration.typingTTL)
      ))
    self.sessions = sessions
    self.region = region
    self.epoch = self.clock.now
    self.wallClock = wallClock
  }

  private var now: Duration { self.clock.now - self.epoch }

  func connected(_ session: DeviceSession) async {
    let now = self.now
    await self.region?.register(session)
    self.route(self.state.withLock { $0.presence.connected(session.device, now: now) })
  }

  /// The region's Redis came back: record the session there again, as a heartbeat would.
  func reconnected(_ session: DeviceSession) async {
    await self.region?.register(session)
    self.region?.heartbeat(session)
  }

  func heartbeat(_ session: DeviceSession) {
    let now = self.now
    _ = self.state.withLock { $0.presence.heartbeat(session.device, now: now) }
    self.region?.heartbeat(session)
  }

  func disconnected(_ session: DeviceSession, deviceGone: Bool) {
    let wall = self.wallClock()
    let action = self.state.withLock { state -> PresenceStateMachine.Action? in
      for user in state.watching.removeValue(forKey: session.id) ?? [] {
        state.subscribers[user]?.removeValue(forKey: session.id)
      }
      return deviceGone ? state.presence.disconnected(session.device, wallMs: wall) : nil
    }
    if deviceGone { self.region?.unregister(session) }
    self.route(action)
  }

  func subscribe(_ session: DeviceSession, to users: [UserAddress], snapshot: Bool) {
    let current = self.state.withLock { state in
      users.map { user in
        state.subscribers[user, default: [:]][session.id] = session
        state.watching[session.id, default: []].insert(user)
        return Self.frame(user, state.presence)
      }
    }
    guard snapshot else { return }
    if let region = self.region {
      region.snapshot(users, to: session)
      return
    }
    for presence in current {
      var frame = Relay_V1_ServerFrame()
      frame.presence = presence
      session.push(frame)
    }
  }

  func unsubscribe(_ session: DeviceSession, from users: [UserAddress]) {
    self.state.withLock { state in
      for user in users {
        state.subscribers[user]?.removeValue(forKey: session.id)
        state.watching[session.id]?.remove(user)
      }
    }
  }

  func typing(conversationID: String, user: UserAddress, typing: Bool, audience: [UserAddress]) {
    let now = self.now
    let key = TypingStateMachine.Key(conversationID: conversationID, user: user)
    if self.state.withLock({ $0.typing.update(key, typing: typing, audience: audience, now: now) }) {
      self.broadcastTyping(key, typing: typing, audience: audience)
      self.region?.announceTyping(key, typing: typing, audience: audience)
    }
  }

  func sweep() -> [DeviceAddress] {
    let now = self.now
    let wall = self.wallClock()
    let (presence, typing) = self.state.withLock { state in
      (state.presence.expire(now: now, wallMs: wall), state.typing.expire(now: now))
    }
    presence.actions.forEach { self.route($0) }
    for (key, audience) in typing {
      self.broadcastTyping(key, typing: false, audience: audience)
      self.region?.announceTyping(key, typing: false, audience: audience)
    }
    return presence.expired
  }

  /// A typing change made here: written to the live sessions of its
  /// audience here, and passed on to the relays that home the rest.
  func broadcastTyping(_ key: TypingStateMachine.Key, typing: Bool, audience: [UserAddress]) {
    self.pushTyping(key, typing: typing, audience: audience)
    self.federation?.typingChanged(
      conversationID: key.conversationID, user: key.user, typing: typing, audience: audience)
  }

  /// Writes a typing change to the live sessions of its audience here (never
  /// the typist's own): for one made here, or told by another node or relay.
  func pushTyping(_ key: TypingStateMachine.Key, typing: Bool, audience: [UserAddress]) {
    var frame = Relay_V1_ServerFrame()
    frame.typing.conversationID = key.conversationID
    frame.typing.user = key.user.description
    frame.typing.typing = typing
    for session in self.sessions.sessions(of: audience.filter { $0 != key.user }) { session.push(frame) }
  }

  /// A user's presence changed on this node: on a region node the region
  /// decides (other nodes may hold the user's other devices); here, tell the subscribers.
  private func route(_ action: PresenceStateMachine.Action?) {
    guard let action else { return }
    if let region = self.region {
      region.announce(action)
      return
    }
    var presence = Relay_V1_Presence()
    switch action {
    case .online(let user):
      presence.user = user.description
      presence.online = true
    case .offline(let user, let lastSeen):
      presence.user = user.description
      presence.lastSeenMs = lastSeen
    }
    self.deliver(presence)
  }

  /// Writes a presence update to the sessions here that subscribed to its user.
  func deliver(_ presence: Relay_V1_Presence) {
    guard let user = try? UserAddress(parsing: presence.user) else { return }
    var frame = Relay_V1_ServerFrame()
    frame.presence = presence
    let subscribers = self.state.withLock { $0.subscribers[user].map { Array($0.values) } ?? [] }
    for session in subscribers { session.push(frame) }
    self.federation?.presenceChanged(presence)
  }

  /// The current presence of each user, as this process knows it.
  func current(_ users: [UserAddress]) -> [Relay_V1_Presence] {
    self.state.withLock { state in users.map { Self.frame($0, state.presence) } }
  }

  private static func frame(_ user: UserAddress, _ machine: PresenceStateMachine) -> Relay_V1_Presence {
    var presence = Relay_V1_Presence()
    presence.user = user.description
    presence.online = machine.isOnline(user)
    presence.lastSeenMs = machine.lastSeenMs(user)
    return presence
  }
}
