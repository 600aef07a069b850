internal import Federation
internal import Foundation
internal import Logging
internal import Redis
internal import RelayCore
internal import ServiceLifecycle

/// The parts of a ``RelayNode`` that its initializer does not make inline:
/// the region link, the federator, the message clock, what the server does
/// before it listens, and the background services.
extension RelayNode {
  /// The link to the region's Redis, on a region node (nil for the embedded relay).
  static func regionLink(
    _ configuration: RelayConfiguration, logger: Logger
  ) throws(RelayError) -> (link: RegionLink, events: AsyncStream<RegionEvent>)? {
    guard let url = configuration.region.redisURL else { return nil }
    let redisConfiguration: RedisClient.Configuration
    do {
      redisConfiguration = try RedisClient.Configuration(url: url)
    } catch {
      throw RelayError(.invalidArgument, error.message)
    }
    let (events, sink) = AsyncStream<RegionEvent>.makeStream()
    let redis = RedisClient(
      configuration: redisConfiguration,
      subscriptions: [RegionKeys.doorbell(node: configuration.region.nodeID), RegionKeys.events], logger: logger,
      onConnected: { sink.yield(.connected) }
    ) { channel, payload in
      if let event = RegionEvent(channel: channel, payload: payload) { sink.yield(event) }
    }
    let link = RegionLink(
      redis: redis, configuration: configuration, wallClock: HybridLogicalClock.systemMilliseconds, logger: logger)
    return (link, events)
  }

  /// The peer links, when the store can federate (both backends can); nil
  /// when it cannot, which is refused if the configuration names peers.
  static func federator(
    _ configuration: RelayConfiguration, certificate: RelayCertificate, store: any RelayStore,
    metrics: FederationMetrics, logger: Logger
  ) throws(RelayError) -> Federator? {
    guard let federationStore = store as? any FederationStore else {
      guard configuration.federation.peers.isEmpty else {
        throw RelayError(
          .invalidArgument, "federation peers need a store that can federate (the embedded one or PostgreSQL)")
      }
      return nil
    }
    return try Federator(
      configuration: configuration, certificate: certificate, store: federationStore, metrics: metrics, logger: logger)
  }

  /// Push wake-ups, when the configuration names a gateway. A device is
  /// connected when this node holds its session or, on a region node, any node
  /// does. The queue is read once the node listens (its schema is migrated).
  static func pusher(
    _ configuration: RelayConfiguration, store: any RelayStore, sessions: SessionRegistry, region: RegionLink?,
    ready: ListeningGate, metrics: RelayMetrics, logger: Logger
  ) throws(RelayError) -> Pusher? {
    guard let url = configuration.push.gateway else { return nil }
    let gateway = try WebhookGateway(configuration: configuration.push, gateway: url, logger: logger)
    return Pusher(
      store: store, gateway: gateway, configuration: configuration.push,
      isConnected: { device in
        if sessions.session(for: device) != nil { return true }
        return await region?.holdsSession(device) ?? false
      }, ready: { _ = try await ready.port }, metrics: metrics, logger: logger)
  }

  /// The clock that stamps every message. `RELAY_CLOCK_SKEW_MS` moves it
  /// (for tests of skewed clocks between relays).
  static func messageClock() -> HybridLogicalClock {
    let skew = ProcessInfo.processInfo.environment["RELAY_CLOCK_SKEW_MS"].flatMap { Int64($0) } ?? 0
    return HybridLogicalClock(wallClock: { HybridLogicalClock.systemMilliseconds() + skew })
  }

  /// What the server does before it listens: a region node brings the shared
  /// schema up to date (`migrate`); the embedded store migrated when it opened.
  static func prepare(
    _ store: any RelayStore, migrate: Bool, logger: Logger
  ) -> @Sendable () async throws -> Void {
    {
      guard migrate else { return }
      let applied = try await store.migrate()
      if !applied.isEmpty { logger.info("applied migrations", metadata: ["migrations": "\(applied)"]) }
    }
  }

  /// The services that run beside the server, in start order: the store's
  /// own (PostgreSQL's pool, the embedded store's checkpoints), the
  /// dependency monitor of a shared store, the region link with its Redis
  /// client and event pump, the metrics sampler and admin listener, the
  /// federator, the memory trimmer.
  static func backgroundParts(
    _ configuration: RelayConfiguration, store: any RelayStore,
    region: (link: RegionLink, events: AsyncStream<RegionEvent>)?, health: HealthService, metrics: RelayMetrics,
    sessions: SessionRegistry, presence: PresenceHub, federator: Federator?, logger: Logger
  ) -> [any Service] {
    var parts: [any Service] = []
    if let service = store as? any Service { parts.append(service) }
    if store.isShared {
      parts.append(
        DependencyMonitor(
          store: store, redis: region?.link.redis, health: health, interval: configuration.region.healthCheckInterval,
          logger: logger))
    }
    if let region {
      parts += [
        region.link.redis, region.link,
        RegionEventPump(events: region.events, link: region.link, sessions: sessions, presence: presence),
      ]
    }
    parts.append(
      MetricsSampler(
        metrics: metrics, sessions: sessions, store: store, redis: region?.link.redis,
        interval: configuration.metrics.sampleInterval, logger: logger))
    if let listen = configuration.metrics.listen {
      parts.append(AdminServer(address: listen, metrics: metrics, federator: federator))
    }
    if let federator { parts.append(federator) }
    parts.append(MemoryTrimmer(interval: .seconds(15)))
    return parts
  }
}
