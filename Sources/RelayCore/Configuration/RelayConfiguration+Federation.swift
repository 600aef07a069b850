public import TLSIdentity

extension RelayConfiguration {
  /// The relays this one is peered with, and how it replicates to them.
  /// No peers: a relay of its own, users of other domains are unknown.
  public struct Federation: Sendable, Hashable {
    /// One peer relay: its domain, where to reach it, and the key its
    /// certificate must carry (both directions are mutual TLS).
    public struct Peer: Sendable, Hashable {
      public var domain: String
      public var address: Listen
      public var fingerprint: Fingerprint

      public init(domain: String, address: Listen, fingerprint: Fingerprint) {
        self.domain = domain
        self.address = address
        self.fingerprint = fingerprint
      }
    }

    public var peers: [Peer]
    /// Outbox events sent to a peer in one batch, and accepted from one.
    public var maxBatchEvents: Int
    /// Batches a peer may send per second (a token bucket with a burst of as many).
    public var maxBatchesPerSecond: Double
    /// How often each peer is asked for what this relay may have missed (anti-entropy).
    public var reconcileInterval: Duration
    /// How long an idle outbox sender waits before looking again (a commit wakes it at once).
    public var pollInterval: Duration
    /// Reconnect and retry waits: from `initial`, doubling up to `maximum`, with jitter.
    public var retryInitial: Duration
    public var retryMaximum: Duration

    public static var defaults: Self {
      Self(
        peers: [], maxBatchEvents: 256, maxBatchesPerSecond: 200, reconcileInterval: .seconds(60),
        pollInterval: .seconds(1), retryInitial: .milliseconds(200), retryMaximum: .seconds(10))
    }

    /// The peer whose certificate carries `fingerprint`.
    package func peer(fingerprint: Fingerprint) -> Peer? { self.peers.first { $0.fingerprint == fingerprint } }
    package func peer(domain: String) -> Peer? { self.peers.first { $0.domain == domain } }

    package func validate(localDomain: String) throws(RelayError) {
      var domains = Set<String>()
      for peer in self.peers {
        guard peer.domain != localDomain else {
          throw RelayError(.invalidArgument, "peer \(peer.domain) is this relay's own domain")
        }
        guard domains.insert(peer.domain).inserted else {
          throw RelayError(.invalidArgument, "peer \(peer.domain) is configured twice")
        }
      }
      guard self.maxBatchEvents > 0, self.maxBatchesPerSecond > 0 else {
        throw RelayError(.invalidArgument, "federation batch limits must be positive")
      }
    }
  }
}
