internal import Logging
internal import Redis
internal import RelayCore
internal import Wire

/// Presence across the region: session keys, `presence:`, `last_seen:` and
/// `typing:` kept as the seed design lays them out, changes announced on the
/// events channel.
extension RegionLink: PresenceRegion {
  private func token(_ session: DeviceSession) -> String { "\(self.nodeID)#\(session.id)" }

  private func sessionCommands(_ session: DeviceSession) -> [[String]] {
    let device = session.device
    let key = RegionKeys.session(device)
    return [
      ["HSET", key, "node", self.nodeID, "session", self.token(session)],
      ["PEXPIRE", key, "\(self.sessionTTL.milliseconds)"],
      ["SADD", RegionKeys.userDevices(device.user), device.deviceID],
    ]
  }

  func register(_ session: DeviceSession) async {
    do {
      _ = try await self.redis.pipeline(self.sessionCommands(session))
    } catch {
      self.logger.warning("could not record a session in Redis", metadata: ["error": "\(error)"])
    }
  }

  func heartbeat(_ session: DeviceSession) {
    let user = session.device.user
    self.queue.yield(
      .commands(
        self.sessionCommands(session) + [
          ["SET", RegionKeys.presence(user), "online", "PX", "\(self.presenceTTL.milliseconds)"]
        ], then: { _ in }))
  }

  func unregister(_ session: DeviceSession) {
    let device = session.device
    self.queue.yield(
      .commands(
        [
          [
            "EVAL", RegionScripts.unregister, "2", RegionKeys.session(device), RegionKeys.userDevices(device.user),
            self.token(session), device.deviceID,
          ]
        ], then: { _ in }))
  }

  func announce(_ action: PresenceStateMachine.Action) {
    switch action {
    case .online(let user):
      self.queue.yield(
        .commands(
          [
            ["SET", RegionKeys.presence(user), "online", "PX", "\(self.presenceTTL.milliseconds)"],
            ["PUBLISH", RegionKeys.events, RegionEvent.presence(user, online: true, lastSeenMs: 0).payload],
          ], then: { _ in }))
    case .offline(let user, let lastSeen):
      // Offline only if no other node holds a live session of the user.
      let script = [
        "EVAL", RegionScripts.offline, "3", RegionKeys.userDevices(user), RegionKeys.presence(user),
        RegionKeys.lastSeen(user), RegionKeys.sessionPrefix(user), "\(lastSeen)",
      ]
      let publish = [
        "PUBLISH", RegionKeys.events, RegionEvent.presence(user, online: false, lastSeenMs: lastSeen).payload,
      ]
      self.queue.yield(
        .commands([script]) { [queue] replies in
          if replies.first?.integer == 1 { queue.yield(.commands([publish], then: { _ in })) }
        })
    }
  }

  func announceTyping(_ key: TypingStateMachine.Key, typing: Bool, audience: [UserAddress]) {
    let redisKey = RegionKeys.typing(key.conversationID, key.user)
    let event = RegionEvent.typing(
      node: self.nodeID, conversationID: key.conversationID, user: key.user, typing: typing, audience: audience)
    let state = typing ? ["SET", redisKey, "1", "PX", "5000"] : ["DEL", redisKey]
    self.queue.yield(.commands([state, ["PUBLISH", RegionKeys.events, event.payload]], then: { _ in }))
  }

  func snapshot(_ users: [UserAddress], to session: DeviceSession) {
    let commands = users.flatMap { [["EXISTS", RegionKeys.presence($0)], ["GET", RegionKeys.lastSeen($0)]] }
    self.queue.yield(
      .commands(commands) { replies in
        for (index, user) in users.enumerated() {
          var frame = Relay_V1_ServerFrame()
          frame.presence.user = user.description
          frame.presence.online = replies[2 * index].integer == 1
          frame.presence.lastSeenMs = replies[2 * index + 1].text.flatMap { Int64($0) } ?? 0
          session.push(frame)
        }
      })
  }
}
