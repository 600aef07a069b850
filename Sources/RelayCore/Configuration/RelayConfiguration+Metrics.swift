extension RelayConfiguration {
  /// The admin listener: plain HTTP with `GET /metrics` (Prometheus text).
  public struct Metrics: Sendable, Hashable {
    /// Where to serve it; nil (the default) serves no admin listener. Keep it
    /// on a private address: it has no authentication.
    public var listen: Listen?
    /// How often states (connected devices, mailbox depth, pool use) are sampled.
    public var sampleInterval: Duration

    public static var defaults: Self { Self(listen: nil, sampleInterval: .seconds(1)) }
  }
}
