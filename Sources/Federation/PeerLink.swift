internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import Logging
internal import RelayCore
internal import ServiceLifecycle
internal import Synchronization
internal import Wire

/// Everything this relay does towards one peer: a gRPC client to it (for
/// look-ups and anti-entropy) and the outbox sender, which streams the
/// peer's outbox over `Replicate` in order, one batch in flight, deletes what
/// the peer acks, and reconnects with backoff and jitter while the peer is down.
final class PeerLink: Sendable {
  let peer: RelayConfiguration.Federation.Peer
  let client: Relay_V1_Federation.Client<HTTP2ClientTransport.Posix>
  let status: Mutex<PeerStatus>
  /// Set when replication to the peer fails (a connection attempt failed, or
  /// the stream broke), cleared when a stream to it opens: a look-up made
  /// meanwhile fails fast instead of waiting for the link.
  let knownDown = Mutex(false)
  let store: any FederationStore
  let configuration: RelayConfiguration.Federation
  let wakeups: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
  private let stops: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)
  /// Typing and presence for the peer, sent as they come; the oldest dropped when the peer is slow.
  private let signals:
    (stream: AsyncStream<Relay_V1_SignalBatch>, continuation: AsyncStream<Relay_V1_SignalBatch>.Continuation)
  let logger: Logger
  private let refusals = LogThrottle()
  /// A batch's events stay under this many bytes: the peer's frame limit.
  let maxBatchBytes: Int
  /// This node's name, and how long its claim on the outbox lasts unrenewed.
  let node: String
  /// This relay's region, when it is one: a link to another region first
  /// sends it what it lacks of the directory (``FederationStore/syncDirectory(region:siblings:nowMs:)``), once per run.
  let localRegion: LocalRegion?
  let directorySynced = Mutex(false)
  var leaseMs: Int64 { Int64(self.configuration.pollInterval * 10 / .milliseconds(1)) }
  private let grpc: GRPCClient<HTTP2ClientTransport.Posix>

  init(
    peer: RelayConfiguration.Federation.Peer, certificate: RelayCertificate, store: any FederationStore,
    configuration: RelayConfiguration.Federation, maxBatchBytes: Int, node: String, localRegion: LocalRegion?,
    logger: Logger
  ) throws {
    self.node = node
    self.localRegion = localRegion
    self.maxBatchBytes = maxBatchBytes
    self.peer = peer
    self.grpc = GRPCClient(transport: try PeerTransport.make(peer, certificate: certificate))
    self.client = Relay_V1_Federation.Client(wrapping: self.grpc)
    self.status = Mutex(
      PeerStatus(domain: peer.domain, region: peer.region, address: "\(peer.address.host):\(peer.address.port)"))
    self.store = store
    self.configuration = configuration
    self.wakeups = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    self.stops = AsyncStream.makeStream(of: Void.self)
    self.signals = AsyncStream.makeStream(of: Relay_V1_SignalBatch.self, bufferingPolicy: .bufferingNewest(256))
    var logger = logger
    logger[metadataKey: "peer"] = "\(peer.relay)"
    self.logger = logger
  }

  /// Something was written to this peer's outbox: send it now.
  func wake() { self.wakeups.continuation.yield() }

  /// Queues an ephemeral signal (typing, presence) for the peer.
  func signal(_ batch: Relay_V1_SignalBatch) { self.signals.continuation.yield(batch) }

  /// How long a call waits for a peer whose link is known to be down.
  static let downPatience: Duration = .milliseconds(500)

  /// Options for a call to the peer: `patience` (default: the link's 10 s).
  /// While replication to it is failing, the call fails at once if the link
  /// is between connection attempts, and waits at most half a second for an
  /// attempt under way (a peer that just came back answers within it).
  func callOptions(patience: Duration? = nil) -> CallOptions {
    var options = CallOptions.defaults
    options.timeout = patience
    if self.knownDown.withLock({ $0 }) {
      options.waitForReady = false
      options.timeout = min(patience ?? Self.downPatience, Self.downPatience)
    }
    return options
  }

  /// Ends ``run()``: the peer was removed from the config.
  func stop() { self.stops.continuation.finish() }

  /// Runs until the relay shuts down or the link is stopped.
  func run() async throws {
    do {
      try await withThrowingDiscardingTaskGroup { group in
        group.addTask { try await self.grpc.runConnections() }
        group.addTask { await self.tick() }
        group.addTask { await self.reconcileLoop() }
        group.addTask {
          // Ephemeral: a signal the peer does not take is dropped, never retried.
          for await batch in self.signals.stream { _ = try? await self.client.signal(batch) }
        }
        group.addTask {
          try? await cancelWhenGracefulShutdown { try await self.sendLoop() }
          throw CancellationError()
        }
        group.addTask {
          for await _ in self.stops.stream {}
          throw CancellationError()
        }
      }
    } catch is CancellationError {
      // Stopped, or the relay is shutting down: the other tasks were cancelled.
    }
    self.grpc.beginGracefulShutdown()
    self.status.withLock { $0.connected = false }
  }

  /// Every poll interval: a wake-up, so an outbox row written by a path that
  /// did not wake the link (a requeue, another process) is still sent, and
  /// the backlog `relay peers` shows.
  private func tick() async {
    while !Task.isCancelled {
      if let backlog = try? await self.store.outboxBacklog(for: self.peer.relay) {
        self.status.withLock { $0.backlog(backlog) }
      }
      self.wake()
      try? await Task.sleep(for: self.configuration.pollInterval)
    }
  }

  private func sendLoop() async throws {
    var backoff = Backoff(
      initial: self.configuration.retryInitial, maximum: self.configuration.retryMaximum, multiplier: 2)
    while !Task.isCancelled {
      do {
        try await self.replicate()
        backoff.reset()
      } catch is CancellationError {
        return
      } catch let error as RPCError where [.unauthenticated, .permissionDenied].contains(error.code) {
        // The peer does not take this relay (its config lacks this relay's key):
        // an operator must act, so say it, once a minute, and show it in `relay peers`.
        let refusal = "\(error.code): \(error.message)"
        self.status.withLock {
          $0.connected = false
          $0.refusal = refusal
        }
        self.knownDown.withLock { $0 = true }
        if self.refusals.allows(refusal) {
          self.logger.warning(
            "the peer refuses this relay; retrying (at most one warning a minute)", metadata: ["refusal": "\(refusal)"])
        }
        try? await Task.sleep(for: backoff.next())
      } catch {
        self.status.withLock { $0.connected = false }
        self.knownDown.withLock { $0 = true }
        self.logger.debug("replication to the peer stopped; retrying", metadata: ["error": "\(error)"])
        try? await Task.sleep(for: backoff.next())
      }
    }
  }
}
