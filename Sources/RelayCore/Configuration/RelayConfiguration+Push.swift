extension RelayConfiguration {
  /// Push wake-ups for offline devices (docs/push.md).
  public struct Push: Sendable, Hashable {
    /// The operator's push gateway, `https://…` (or `http://` for one on the
    /// same host). Nil (the default): no wake-ups, and `SetPushEndpoint` is refused.
    public var gateway: String?
    /// PEM certificates to trust for the gateway instead of the system's roots
    /// (a gateway with a private CA). Either way the gateway's certificate is verified.
    public var gatewayCAPath: String?
    /// At most one wake-up per device per interval while it stays offline
    /// (a device that caught up since its last wake-up is woken at once).
    public var interval: Duration
    /// How long one call to the gateway may take.
    public var timeout: Duration
    /// Retries after a 5xx, a 408/429 or no answer: doubling from
    /// `retryInitial` up to `retryMaximum`, with jitter.
    public var retryInitial: Duration
    public var retryMaximum: Duration
    /// How often the whole queue is searched, besides the commits' hints:
    /// retries fall due, wake-ups of other nodes' commits, after a restart.
    public var scanInterval: Duration
    /// Calls to the gateway in flight at once.
    public var maxConcurrentCalls: Int

    public static var defaults: Self {
      Self(
        gateway: nil, gatewayCAPath: nil, interval: .seconds(60), timeout: .seconds(10), retryInitial: .seconds(1),
        retryMaximum: .seconds(300), scanInterval: .seconds(2), maxConcurrentCalls: 32)
    }
  }
}

extension RelayConfiguration.Push {
  package mutating func apply(_ file: ConfigFile.Push, resolved: (String) -> String) throws(RelayError) {
    typealias C = RelayConfiguration
    if let gateway = file.gateway {
      guard gateway.hasPrefix("https://") || gateway.hasPrefix("http://") else {
        throw RelayError(.invalidArgument, "config 'push.gateway' must be an https:// (or http://) URL")
      }
      self.gateway = gateway
    }
    if let ca = file.gateway_ca { self.gatewayCAPath = resolved(ca) }
    if let v = file.interval_seconds { self.interval = .seconds(try C.positive(v, "push.interval_seconds")) }
    if let v = file.timeout_ms { self.timeout = .milliseconds(try C.positive(v, "push.timeout_ms")) }
    if let v = file.retry_initial_ms { self.retryInitial = .milliseconds(try C.positive(v, "push.retry_initial_ms")) }
    if let v = file.retry_maximum_seconds {
      self.retryMaximum = .seconds(try C.positive(v, "push.retry_maximum_seconds"))
    }
    if let v = file.scan_interval_ms { self.scanInterval = .milliseconds(try C.positive(v, "push.scan_interval_ms")) }
    if let v = file.max_concurrent_calls { self.maxConcurrentCalls = try C.positive(v, "push.max_concurrent_calls") }
  }

  /// The decision rules of ``WakeUpPolicy`` for this configuration.
  package var policy: WakeUpPolicy {
    WakeUpPolicy(
      intervalMs: self.interval.milliseconds, retryInitialMs: self.retryInitial.milliseconds,
      retryMaximumMs: self.retryMaximum.milliseconds)
  }
}
