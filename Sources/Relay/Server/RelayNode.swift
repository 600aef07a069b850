internal import Foundation
internal import GRPCNIOTransportHTTP2
public import Logging
internal import Redis
public import RelayCore
internal import RelayStorePostgres
internal import RelayStoreSQLite
public import ServiceLifecycle
public import TLSIdentity

/// A whole relay: the root service that `relay serve` runs.
///
/// Its ``run()`` runs a `ServiceGroup` of the long-lived parts — on a region
/// node the PostgreSQL pool, the Redis client and the region link first;
/// then the group committer, the presence sweeper and the gRPC server — and
/// shuts them down in reverse: the server drains its streams first, then the
/// committer commits what is still queued, then the pool closes.
///
/// ```swift
/// let relay = try RelayNode(configuration: .defaults, logger: Logger(label: "relay"))
/// try await ServiceGroup(services: [relay], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public final class RelayNode: Service {
  public let configuration: RelayConfiguration
  /// The SHA-256 fingerprint of the relay's own key, for clients to pin.
  public let fingerprint: Fingerprint
  /// The relay's certificate in PEM, for clients to trust.
  public let certificatePEM: String
  let store: any RelayStore
  let federator: Federator?
  let server: RelayServer
  private let parts: [any Service]
  private let logger: Logger

  /// The embedded default (SQLite in the data directory), or a region node
  /// when the configuration names a PostgreSQL (and Redis).
  public convenience init(configuration: RelayConfiguration, logger: Logger) throws(RelayError) {
    try configuration.region.validate()
    try configuration.federation.validate(localDomain: configuration.domain)
    if let url = configuration.region.postgresURL {
      let store = try PostgresStore(
        url: url, poolSize: configuration.region.postgresPoolSize,
        leaseTimeout: configuration.region.postgresLeaseTimeout,
        statementTimeout: configuration.region.postgresStatementTimeout, logger: logger)
      try self.init(configuration: configuration, store: store, logger: logger)
    } else {
      try self.init(
        configuration: configuration, store: try SQLiteStore(directory: configuration.dataDirectory), logger: logger)
    }
  }

  /// A relay on `store`; if the store is a `Service` (PostgreSQL's pool, the
  /// embedded store's checkpoints), the relay runs it.
  public init(configuration: RelayConfiguration, store: any RelayStore, logger: Logger) throws(RelayError) {
    let certificate = try RelayCertificate.load(configuration)
    // RELAY_CLOCK_SKEW_MS moves this relay's message clock (for tests of skewed clocks between relays).
    let skew = ProcessInfo.processInfo.environment["RELAY_CLOCK_SKEW_MS"].flatMap { Int64($0) } ?? 0
    let clock = HybridLogicalClock(wallClock: { HybridLogicalClock.systemMilliseconds() + skew })
    let wallClock = HybridLogicalClock.systemMilliseconds
    var region: (link: RegionLink, events: AsyncStream<RegionEvent>)?
    if let url = configuration.region.redisURL {
      region = try Self.regionLink(url: url, configuration: configuration, logger: logger)
    }
    let link = region?.link
    let sessions = SessionRegistry(elsewhere: { link?.forward($0) })
    var federator: Federator?
    if let federationStore = store as? any FederationStore {
      federator = try Federator(
        configuration: configuration, certificate: certificate, store: federationStore, logger: logger)
    } else if !configuration.federation.peers.isEmpty {
      throw RelayError(
        .invalidArgument, "federation peers need a store that can federate (the embedded one or PostgreSQL)")
    }
    let presence = PresenceHub(
      configuration: configuration.presence, sessions: sessions, region: link, federation: federator,
      wallClock: wallClock)
    let metrics = RelayMetrics()
    // Every path that commits (sends, acks, reads, membership, peer batches) ends here.
    let dispatcher = CommitDispatcher(sessions: sessions, federator: federator)
    var federation: (federator: Federator, service: FederationService)?
    if let federator, let federationStore = store as? any FederationStore {
      let service = FederationService(
        configuration: configuration, store: federationStore, federator: federator, dispatcher: dispatcher,
        presence: presence, metrics: metrics, clock: clock, logger: logger)
      federation = (federator, service)
    }
    let committer = SendCommitter(
      store: store, clock: clock, maxBatch: configuration.limits.maxSendsPerCommit,
      // SQLite has one writer; PostgreSQL takes several.
      lanes: store.takesConcurrentCommits ? configuration.region.commitLanes : 1, metrics: metrics, logger: logger)
    let health = HealthService()
    var client = ClientService(
      configuration: configuration,
      store: store,
      authenticator: Authenticator(store: store),
      committer: committer,
      sessions: sessions,
      dispatcher: dispatcher,
      presence: presence,
      rateLimiter: .sends(rate: configuration.limits.sendsPerSecond, burst: configuration.limits.sendBurst),
      metrics: metrics,
      wallClock: wallClock,
      logger: logger
    )
    client.federator = federation?.federator
    self.configuration = configuration
    self.fingerprint = certificate.fingerprint
    self.certificatePEM = certificate.certificatePEM
    self.store = store
    self.server = RelayServer(
      configuration: configuration, certificate: certificate,
      services: [SizeLimitedClientService(service: client, maxBytes: configuration.limits.maxFrameBytes), health]
        + (federation.map { [$0.service] } ?? []),
      sessions: sessions, health: health,
      prepare: { [migrate = configuration.region.migrateOnStart] in
        // A region node brings the shared schema up to date before it serves.
        if migrate {
          let applied = try await store.migrate()
          if !applied.isEmpty { logger.info("applied migrations", metadata: ["migrations": "\(applied)"]) }
        }
      })
    let sweeper = PresenceSweeper(
      presence: presence, sessions: sessions, interval: configuration.presence.sweepInterval,
      ttl: configuration.presence.ttl)
    var parts: [any Service] = []
    // PostgreSQL's connection pool; the embedded store's background checkpoints.
    if let service = store as? any Service { parts.append(service) }
    if store.isShared {
      parts.append(
        DependencyMonitor(
          store: store, redis: link?.redis, health: health, interval: configuration.region.healthCheckInterval,
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
        metrics: metrics, sessions: sessions, store: store, redis: link?.redis,
        interval: configuration.metrics.sampleInterval, logger: logger))
    if let listen = configuration.metrics.listen {
      parts.append(AdminServer(address: listen, metrics: metrics, federator: federation?.federator))
    }
    if let federation { parts.append(federation.federator) }
    parts.append(MemoryTrimmer(interval: .seconds(15)))
    self.federator = federation?.federator
    self.parts = parts + [committer, sweeper, self.server]
    self.logger = logger
  }

  private static func regionLink(
    url: String, configuration: RelayConfiguration, logger: Logger
  ) throws(RelayError) -> (link: RegionLink, events: AsyncStream<RegionEvent>) {
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

  /// Replaces the federation peers of the running relay (the rest of the
  /// configuration needs a restart): `relay serve` calls it on SIGHUP.
  public func reloadPeers(_ federation: RelayConfiguration.Federation) throws(RelayError) {
    guard let federator = self.federator else {
      throw RelayError(.failedPrecondition, "this relay's store cannot federate")
    }
    try federator.reload(federation)
  }

  /// The port the server is bound to, once it is listening; throws if the
  /// relay stops before it listens (migrations failed, the port is taken).
  public var listeningPort: Int {
    get async throws { try await self.server.listening.port }
  }

  public func run() async throws {
    var configuration = ServiceGroupConfiguration(
      services: self.parts.map { .init(service: $0) }, logger: self.logger)
    configuration.bound(by: self.configuration)
    try await ServiceGroup(configuration: configuration).run()
  }
}
