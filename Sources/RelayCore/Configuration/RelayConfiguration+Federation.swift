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
      /// The peer's region when it is another region of this relay's own
      /// domain (`federation.regions`); nil for a relay of another domain.
      public var region: String?

      public init(domain: String, address: Listen, fingerprint: Fingerprint, region: String? = nil) {
        self.domain = domain
        self.address = address
        self.fingerprint = fingerprint
        self.region = region
      }

      /// How this relay names the peer in its outbox, links and metrics (``RelayID``).
      public var relay: String { RelayID.of(domain: self.domain, region: self.region) }
    }

    /// Another region of this relay's own domain (docs/regions.md).
    public struct Region: Sendable, Hashable {
      public var name: String
      public var address: Listen
      public var fingerprint: Fingerprint

      public init(name: String, address: Listen, fingerprint: Fingerprint) {
        self.name = name
        self.address = address
        self.fingerprint = fingerprint
      }
    }

    public var peers: [Peer]
    /// The other regions of this relay's domain; needs `region.name`.
    public var regions: [Region]
    /// The region of this domain that carries its traffic with other domains
    /// (docs/regions.md, "Other domains"): only it lists `peers`; the other
    /// regions route every user of another domain through it. Nil: no region
    /// of this domain talks to other domains.
    public var gateway: String?
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
        peers: [], regions: [], gateway: nil, maxBatchEvents: 256, maxBatchesPerSecond: 200,
        reconcileInterval: .seconds(60),
        pollInterval: .seconds(1), retryInitial: .milliseconds(200), retryMaximum: .seconds(10))
    }

    /// Every relay this one links to: its peers of other domains, then the
    /// other regions of `localDomain`.
    package func links(localDomain: String) -> [Peer] {
      self.peers
        + self.regions.map {
          Peer(domain: localDomain, address: $0.address, fingerprint: $0.fingerprint, region: $0.name)
        }
    }

    package func validate(localDomain: String, region: String?) throws(RelayError) {
      var domains = Set<String>()
      for peer in self.peers {
        guard peer.domain != localDomain else {
          throw RelayError(
            .invalidArgument,
            "peer \(peer.domain) is this relay's own domain (list the domain's other regions under federation.regions)")
        }
        guard domains.insert(peer.domain).inserted else {
          throw RelayError(.invalidArgument, "peer \(peer.domain) is configured twice")
        }
      }
      try self.validateGateway(region: region)
      if !self.regions.isEmpty && region == nil {
        throw RelayError(.invalidArgument, "federation.regions needs region.name: this relay's own region")
      }
      var names = Set(region.map { [$0] } ?? [])
      for sibling in self.regions {
        guard RelayID.isValidRegion(sibling.name) else {
          throw RelayError(.invalidArgument, "region name '\(sibling.name)' must be 1-32 of a-z, 0-9 and '-'")
        }
        guard names.insert(sibling.name).inserted else {
          throw RelayError(.invalidArgument, "region \(sibling.name) is this relay's own or configured twice")
        }
      }
      let keys = self.links(localDomain: localDomain).map(\.fingerprint)
      guard Set(keys).count == keys.count else {
        throw RelayError(.invalidArgument, "two peers or regions are configured with the same key")
      }
      guard self.maxBatchEvents > 0, self.maxBatchesPerSecond > 0 else {
        throw RelayError(.invalidArgument, "federation batch limits must be positive")
      }
    }
  }
}
