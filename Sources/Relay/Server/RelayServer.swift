internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import RelayCore
internal import ServiceLifecycle

/// The gRPC server over HTTP/2 with mutual TLS, as a `Service`.
///
/// Clients must present a certificate; any self-signed one is accepted at the
/// TLS layer, because the identity is its key's fingerprint, which each RPC
/// checks against the directory. On graceful shutdown it stops accepting
/// calls, reports NOT_SERVING, and closes every device stream with
/// `UNAVAILABLE` after what is queued for it has been written.
struct RelayServer: Service {
  let server: GRPCServer<HTTP2ServerTransport.Posix>
  let sessions: SessionRegistry
  let health: HealthService
  /// Runs before the server listens (a region node's migrations).
  let prepare: @Sendable () async throws -> Void
  /// Opens when the server listens, or fails when it stops before that.
  let listening: ListeningGate
  /// How long a cancelled server has to finish its graceful shutdown before
  /// its calls are cancelled (``serveUncancelled()``).
  let cancellationGrace: Duration

  init(
    configuration: RelayConfiguration, certificate: RelayCertificate, services: [any RegistrableRPCService],
    sessions: SessionRegistry, health: HealthService, listening: ListeningGate = ListeningGate(),
    prepare: @escaping @Sendable () async throws -> Void = {}
  ) {
    self.listening = listening
    let security = RelayTransportSecurity.server(
      certificatePEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM)
    let transport = HTTP2ServerTransport.Posix(
      address: configuration.listen.host.contains(":")
        ? .ipv6(host: configuration.listen.host, port: configuration.listen.port)
        : .ipv4(host: configuration.listen.host, port: configuration.listen.port),
      transportSecurity: security,
      config: .defaults { config in
        // A backstop: the relay enforces maxFrameBytes itself, with a precise status.
        config.rpc.maxRequestPayloadSize = max(
          2 * configuration.limits.maxFrameBytes, configuration.limits.maxFrameBytes + (1 << 20))
        config.connection.maxIdleTime = configuration.connection.idleTimeout
        // Advertised, so clients queue calls past it (unadvertised, NIO enforced
        // its default of 100 by tearing the whole connection down).
        config.http2.maxConcurrentStreams = configuration.connection.maxConcurrentStreams
        config.connection.maxGraceTime = configuration.connection.shutdownGracePeriod
        // Peers ping every 20 s, with or without calls (PeerTransport): allowed, and more often is refused.
        config.connection.keepalive.clientBehavior = .init(
          minPingIntervalWithoutCalls: .seconds(10), allowWithoutCalls: true)
        let guardian = ConnectionGuard(
          handshakeTimeout: configuration.connection.handshakeTimeout,
          idleTimeout: configuration.connection.idleTimeout,
          streams: configuration.connection.streamLimits)
        config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
          guardian.accepted(channel)
          return channel.eventLoop.makeSucceededVoidFuture()
        }
        // The listener reports its port itself once bound. (Awaiting the
        // transport's listening address instead never returns if a shutdown
        // comes before the server starts listening, and kept the relay from
        // stopping.)
        config.channelDebuggingCallbacks.onBindTCPListener = { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ListenerBound { listening.listening(on: $0) })
          }
        }
        config.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
          guardian.opened(stream: stream)
          return stream.eventLoop.makeSucceededVoidFuture()
        }
        TransportTuning.apply(to: &config)
      }
    )
    self.server = GRPCServer(transport: transport, services: services)
    self.sessions = sessions
    self.health = health
    self.prepare = prepare
    self.cancellationGrace = configuration.connection.shutdownGracePeriod + .seconds(2)
  }

  func run() async throws {
    do {
      // A shutdown while the node is still preparing (migrations waiting for the database) ends it too.
      try await cancelWhenGracefulShutdown { try await self.prepare() }
      try await withGracefulShutdownHandler {
        do {
          try await self.serveUncancelled()
        } catch let error as RuntimeError where error.code == .serverIsStopped {
          // Shut down before it listened (a stop during the migrations): not a failure.
        }
      } onGracefulShutdown: {
        self.beginShutdown()
      }
      self.listening.failed(RelayError(.unavailable, "the relay stopped before it listened"))
    } catch {
      self.listening.failed(error)
      throw error
    }
  }

  func beginShutdown() {
    self.health.beginShutdown()
    self.server.beginGracefulShutdown()
    self.sessions.closeAll(RelayError(.unavailable, "the relay is shutting down: reconnect"))
  }
}
