internal import Logging
internal import Redis
internal import RelayCore
internal import ServiceLifecycle
internal import Synchronization
internal import Wire

/// A region node's link to the other nodes, through Redis: it records which
/// node holds each device's stream (`session:`), forwards doorbells for
/// devices streaming elsewhere to that node's channel, and keeps `presence:`,
/// `user_devices:`, `last_seen:` and `typing:` as the seed design lays them
/// out, announcing changes on the events channel.
///
/// Redis is a hint source here, never the truth: a command that fails is
/// logged and dropped, except doorbells, which are kept while Redis is out of
/// reach and forwarded when it is back (``UndeliveredDoorbells``). The
/// mailbox in PostgreSQL has every message either way.
final class RegionLink: PresenceRegion, Service {
  enum Job: Sendable {
    case forward([Doorbell])
    /// Redis is back: forward what could not be forwarded meanwhile.
    case forwardUndelivered
    case commands([[String]], then: @Sendable ([RedisValue]) -> Void)
  }

  let redis: RedisClient
  let nodeID: String
  private let presenceTTL: Duration
  private let sessionTTL: Duration
  private let wallClock: @Sendable () -> Int64
  private let logger: Logger
  private let jobs: AsyncStream<Job>
  private let queue: AsyncStream<Job>.Continuation
  private let undelivered = Mutex(UndeliveredDoorbells(limit: 100_000))

  init(
    redis: RedisClient, configuration: RelayConfiguration, wallClock: @escaping @Sendable () -> Int64, logger: Logger
  ) {
    self.redis = redis
    self.nodeID = configuration.region.nodeID
    self.presenceTTL = configuration.presence.ttl
    self.sessionTTL = configuration.region.sessionTTL
    self.wallClock = wallClock
    var logger = logger
    logger[metadataKey: "node"] = "\(configuration.region.nodeID)"
    self.logger = logger
    (self.jobs, self.queue) = AsyncStream.makeStream()
  }

  /// Doorbells for devices with no stream on this node: rung on the node that has one.
  func forward(_ doorbells: [Doorbell]) {
    self.queue.yield(.forward(doorbells))
  }

  /// Called when this node is connected to Redis (again).
  func reconnected() {
    self.queue.yield(.forwardUndelivered)
  }

  func run() async throws {
    for await job in self.jobs.cancelOnGracefulShutdown() {
      switch job {
      case .forward(let doorbells):
        do {
          try await self.ringElsewhere(doorbells)
        } catch {
          self.logger.debug("doorbells kept until Redis is back", metadata: ["devices": "\(doorbells.count)"])
          self.undelivered.withLock { $0.add(doorbells) }
        }
      case .forwardUndelivered:
        await self.forwardUndelivered()
      case .commands(let commands, let then):
        do {
          then(try await self.redis.pipeline(commands))
        } catch {
          self.logger.debug("a Redis update was dropped", metadata: ["error": "\(error)"])
        }
      }
    }
  }

  private func forwardUndelivered() async {
    let backlog = self.undelivered.withLock { $0.take() }
    self.logger.debug("back on Redis: sending kept doorbells", metadata: ["backlog": "\(backlog)"])
    do {
      switch backlog {
      case .none:
        return
      case .doorbells(let doorbells):
        try await self.ringElsewhere(doorbells)
      case .everyone:
        _ = try await self.redis.pipeline([["PUBLISH", RegionKeys.events, RegionEvent.resync.payload]])
      }
    } catch {
      // Out of reach again: keep them for the next reconnect.
      self.undelivered.withLock { $0.putBack(backlog) }
    }
  }

  private func ringElsewhere(_ doorbells: [Doorbell]) async throws {
    var highest = [DeviceAddress: UInt64]()
    for bell in doorbells { highest[bell.device] = max(highest[bell.device] ?? 0, bell.cursor) }
    let devices = Array(highest.keys)
    let nodes = try await self.redis.pipeline(devices.map { ["HGET", RegionKeys.session($0), "node"] })
    var publishes = [[String]]()
    for (device, node) in zip(devices, nodes) {
      // No session anywhere: the device syncs from its mailbox when it connects.
      guard let node = node.text, node != self.nodeID else { continue }
      let event = RegionEvent.doorbell(device, cursor: highest[device]!)
      publishes.append(["PUBLISH", RegionKeys.doorbell(node: node), event.payload])
    }
    if !publishes.isEmpty { _ = try await self.redis.pipeline(publishes) }
    self.logger.trace(
      "doorbells forwarded", metadata: ["devices": "\(devices.count)", "published": "\(publishes.count)"])
  }

  // MARK: PresenceRegion

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
            "EVAL", Self.unregisterScript, "2", RegionKeys.session(device), RegionKeys.userDevices(device.user),
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
        "EVAL", Self.offlineScript, "3", RegionKeys.userDevices(user), RegionKeys.presence(user),
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

  /// Deletes the session key and the device's `user_devices` entry only if
  /// the key still names this session (the device may have moved on).
  static let unregisterScript = """
    if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then
      redis.call('DEL', KEYS[1])
      redis.call('SREM', KEYS[2], ARGV[2])
      return 1
    end
    return 0
    """

  /// Marks the user offline (and records last-seen) unless a device of theirs
  /// still has a session key; prunes devices whose keys expired.
  static let offlineScript = """
    local online = 0
    for _, d in ipairs(redis.call('SMEMBERS', KEYS[1])) do
      if redis.call('EXISTS', ARGV[1] .. d) == 1 then online = 1 else redis.call('SREM', KEYS[1], d) end
    end
    if online == 1 then return 0 end
    redis.call('DEL', KEYS[2])
    redis.call('SET', KEYS[3], ARGV[2])
    return 1
    """
}

extension Duration {
  var milliseconds: Int64 { self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000 }
}
