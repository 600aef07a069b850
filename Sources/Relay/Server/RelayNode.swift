internal import Federation
internal import Foundation
internal import GRPCCore
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
    try configuration.federation.validate(localDomain: configuration.domain, region: configuration.region.name)
    if let url = configuration.region.postgresURL {
      let store = try PostgresStore(
        url: url, poolSize: configuration.region.postgresPoolSize,
        leaseTimeout: configuration.region.postgresLeaseTimeout,
        statementTimeout: configuration.region.postgresStatementTimeout, region: configuration.localRegion,
        logger: logger)
      try self.init(configuration: configuration, store: store, logger: logger)
    } else {
      try self.init(
        configuration: configuration,
        store: try SQLiteStore(directory: configuration.dataDirectory, region: configuration.localRegion),
        logger: logger)
    }
  }

  /// A relay on `store`; if the store is a `Service` (PostgreSQL's pool, the
  /// embedded store's checkpoints), the relay runs it. The parts are made in
  /// the order a message meets them; `RelayNode+Wiring.swift` makes the rest.
  public init(configuration: RelayConfiguration, store: any RelayStore, logger: Logger) throws(RelayError) {
    let certificate = try RelayCertificate.load(configuration)
    let region = try Self.regionLink(configuration, logger: logger)
    let sessions = SessionRegistry(elsewhere: { [link = region?.link] in link?.forward($0) })
    let metrics = RelayMetrics()
    let federator = try Self.federator(
      configuration, certificate: certificate, store: store, metrics: metrics.federation, logger: logger)
    let presence = PresenceHub(
      configuration: configuration.presence, sessions: sessions, region: region?.link, federation: federator,
      wallClock: HybridLogicalClock.systemMilliseconds)
    let clock = Self.messageClock()
    // Open once the node is prepared (its schema migrated) and listens.
    let listening = ListeningGate()
    let pusher = try Self.pusher(
      configuration, store: store, sessions: sessions, region: region?.link, ready: listening, metrics: metrics,
      logger: logger)
    // Every path that commits (sends, acks, reads, membership, peer batches) ends here.
    let authenticator = Authenticator(store: store, regions: RegionDirectory(configuration))
    let dispatcher = CommitDispatcher(
      sessions: sessions, federator: federator, pusher: pusher, authenticator: authenticator)
    // SQLite has one writer; PostgreSQL takes several.
    let lanes = store.takesConcurrentCommits ? configuration.region.commitLanes : 1
    let committer = SendCommitter.sends(
      store: store, clock: clock, maxBatch: configuration.limits.maxSendsPerCommit, lanes: lanes, metrics: metrics,
      logger: logger)
    let acks = AckCommitter.acks(store: store, maxBatch: configuration.limits.maxSendsPerCommit, logger: logger)
    let health = HealthService()
    var client = ClientService(
      configuration: configuration, store: store, authenticator: authenticator, committer: committer, acks: acks,
      clock: clock,
      sessions: sessions, dispatcher: dispatcher, presence: presence,
      rateLimiter: .sends(rate: configuration.limits.sendsPerSecond, burst: configuration.limits.sendBurst),
      metrics: metrics, wallClock: HybridLogicalClock.systemMilliseconds, logger: logger)
    client.federator = federator
    client.attachmentFetcher = federator.map {
      AttachmentFetcher(
        federator: $0, store: store, limits: configuration.attachments, metrics: metrics.federation,
        wallClock: HybridLogicalClock.systemMilliseconds)
    }
    var services: [any RegistrableRPCService] = [
      SizeLimitedClientService(service: client, maxBytes: configuration.limits.maxFrameBytes), health,
    ]
    if let federator, let federationStore = store as? any FederationStore {
      var federation = FederationService(
        configuration: configuration, store: federationStore, federator: federator, delivery: dispatcher,
        presence: presence, metrics: metrics.federation, clock: clock, logger: logger)
      federation.attachmentFetcher = client.attachmentFetcher
      services.append(federation)
    }
    self.configuration = configuration
    self.fingerprint = certificate.fingerprint
    self.certificatePEM = certificate.certificatePEM
    self.store = store
    self.federator = federator
    self.server = RelayServer(
      configuration: configuration, certificate: certificate, services: services, sessions: sessions, health: health,
      listening: listening, prepare: Self.prepare(store, migrate: configuration.region.migrateOnStart, logger: logger))
    let attachmentSweeper = AttachmentSweeper(
      store: store, interval: configuration.attachments.sweepInterval, wallClock: HybridLogicalClock.systemMilliseconds,
      ready: { _ = try await listening.port }, logger: logger)
    let sweeper = PresenceSweeper(
      presence: presence, sessions: sessions, interval: configuration.presence.sweepInterval,
      ttl: configuration.presence.ttl)
    // A region hands off the moves `relay users move` requested (docs/regions.md).
    let mover = configuration.localRegion.flatMap { local in
      (store as? any MoveStore).map {
        MoveRunner(
          store: $0, region: local, rules: configuration.federationRules, clock: clock,
          maxBytes: configuration.limits.maxFrameBytes - 64 * 1024,
          interval: .milliseconds(250), dispatcher: dispatcher, metrics: metrics.federation,
          ready: { _ = try await listening.port }, logger: logger)
      }
    }
    self.parts =
      Self.backgroundParts(
        configuration, store: store, region: region, health: health, metrics: metrics, sessions: sessions,
        presence: presence, federator: federator, logger: logger) + (pusher.map { [$0] } ?? [])
      + (mover.map { [$0] } ?? []) + [committer, acks, sweeper, attachmentSweeper, self.server]
    self.logger = logger
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
