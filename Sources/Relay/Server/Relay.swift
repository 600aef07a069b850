internal import GRPCNIOTransportHTTP2
public import Logging
public import ServiceLifecycle

/// A whole relay: the root service that `relay serve` runs.
///
/// Its ``run()`` runs a `ServiceGroup` of the long-lived parts — the group
/// committer, the presence sweeper and the gRPC server — and shuts them down in
/// reverse: the server drains its streams first, then the committer commits
/// what is still queued.
///
/// ```swift
/// let relay = try Relay(configuration: .defaults, logger: Logger(label: "relay"))
/// try await ServiceGroup(services: [relay], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public final class Relay: Service {
  public let configuration: RelayConfiguration
  /// The SHA-256 fingerprint of the relay's own key, for clients to pin.
  public let fingerprint: Fingerprint
  /// The relay's certificate in PEM, for clients to trust.
  public let certificatePEM: String
  let store: any RelayStore
  let server: RelayServer
  private let parts: [any Service]
  private let logger: Logger

  public convenience init(configuration: RelayConfiguration, logger: Logger) throws(RelayError) {
    let store = try SQLiteStore(directory: configuration.dataDirectory)
    try self.init(configuration: configuration, store: store, logger: logger)
  }

  public init(configuration: RelayConfiguration, store: any RelayStore, logger: Logger) throws(RelayError) {
    let certificate = try RelayCertificate.load(configuration)
    let clock = HybridLogicalClock()
    let sessions = SessionRegistry()
    let presence = InProcessPresence(
      configuration: configuration.presence, sessions: sessions, wallClock: HybridLogicalClock.systemMilliseconds)
    let committer = SendCommitter(
      store: store, clock: clock, maxBatch: configuration.limits.maxSendsPerCommit, logger: logger)
    let health = HealthService()
    let client = ClientService(
      configuration: configuration,
      store: store,
      authenticator: Authenticator(store: store),
      committer: committer,
      sessions: sessions,
      presence: presence,
      rateLimiter: SendRateLimiter(rate: configuration.limits.sendsPerSecond, burst: configuration.limits.sendBurst),
      wallClock: HybridLogicalClock.systemMilliseconds,
      logger: logger
    )
    self.configuration = configuration
    self.fingerprint = certificate.fingerprint
    self.certificatePEM = certificate.certificatePEM
    self.store = store
    self.server = RelayServer(
      configuration: configuration, certificate: certificate,
      services: [SizeLimitedClientService(service: client, maxBytes: configuration.limits.maxFrameBytes), health],
      sessions: sessions, health: health)
    let sweeper = PresenceSweeper(
      presence: presence, sessions: sessions, interval: configuration.presence.sweepInterval,
      ttl: configuration.presence.ttl)
    self.parts = [committer, sweeper, self.server]
    self.logger = logger
  }

  /// The port the server is bound to, once it is listening.
  public var listeningPort: Int {
    get async throws {
      let address = try await self.server.transport.listeningAddress
      if let v4 = address.ipv4 { return v4.port }
      if let v6 = address.ipv6 { return v6.port }
      throw RelayError(.internal, "the relay is not listening on an IP address")
    }
  }

  public func run() async throws {
    let group = ServiceGroup(
      configuration: .init(services: self.parts.map { .init(service: $0) }, logger: self.logger))
    try await group.run()
  }
}
