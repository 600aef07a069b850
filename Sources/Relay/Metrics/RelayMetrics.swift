internal import CoreMetrics
internal import Federation
internal import Prometheus
internal import RelayCore
internal import Wire

/// The relay's metrics, in its own Prometheus registry (one per relay, so
/// that several relays in one process — the tests — never mix their numbers).
/// Served as text on the admin listener's `/metrics`.
final class RelayMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()
  /// Devices with a live `Connect` stream on this node.
  let connectedDevices: CoreMetrics.Gauge
  let sendsCommitted: CoreMetrics.Counter
  let sendsFailed: CoreMetrics.Counter
  /// Envelopes written to a device's stream (live or in a sync batch).
  let deliveries: CoreMetrics.Counter
  /// From the commit (`sent_at`) to the envelope written to the device's stream.
  let deliveryLatency: CoreMetrics.Timer
  /// Mailbox entries written but not yet acknowledged, across all devices.
  let mailboxDepth: CoreMetrics.Gauge
  /// PostgreSQL connections this node holds leased right now (region only).
  let databaseConnectionsInUse: CoreMetrics.Gauge
  /// Pipelines sent to Redis (region only).
  let redisRoundTrips: CoreMetrics.Counter
  /// Events applied from peers and refused, and calls from strangers.
  let federation: FederationMetrics
  /// Wake-ups the push gateway took; calls that failed (retried); wake-ups
  /// it refused for good (dropped, or the token gone); wake-ups not sent
  /// because the device was connected; devices with a wake-up pending.
  let pushSent: CoreMetrics.Counter
  let pushFailed: CoreMetrics.Counter
  let pushDropped: CoreMetrics.Counter
  let pushSkipped: CoreMetrics.Counter
  let pushQueue: CoreMetrics.Gauge

  init() {
    var factory = PrometheusMetricsFactory(registry: self.registry)
    factory.defaultDurationHistogramBuckets = [
      .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
      .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
      .seconds(30),
    ]
    self.connectedDevices = CoreMetrics.Gauge(label: "relay_connected_devices", factory: factory)
    self.sendsCommitted = .init(label: "relay_sends_committed_total", factory: factory)
    self.sendsFailed = .init(label: "relay_sends_failed_total", factory: factory)
    self.deliveries = .init(label: "relay_deliveries_total", factory: factory)
    self.deliveryLatency = .init(label: "relay_delivery_latency_seconds", factory: factory)
    self.mailboxDepth = CoreMetrics.Gauge(label: "relay_mailbox_depth", factory: factory)
    self.databaseConnectionsInUse = CoreMetrics.Gauge(label: "relay_db_connections_in_use", factory: factory)
    self.redisRoundTrips = .init(label: "relay_redis_round_trips_total", factory: factory)
    self.federation = FederationMetrics(factory: factory)
    self.pushSent = .init(label: "relay_push_sent_total", factory: factory)
    self.pushFailed = .init(label: "relay_push_failed_total", factory: factory)
    self.pushDropped = .init(label: "relay_push_dropped_total", factory: factory)
    self.pushSkipped = .init(label: "relay_push_skipped_total", factory: factory)
    self.pushQueue = CoreMetrics.Gauge(label: "relay_push_queue_depth", factory: factory)
  }

  /// The Prometheus text exposition of every metric.
  func exposition() -> [UInt8] { self.registry.emitToBuffer() }

  /// A group commit ended: so many sends committed, so many refused or failed.
  func committed(_ committed: Int, failed: Int) {
    if committed > 0 { self.sendsCommitted.increment(by: committed) }
    if failed > 0 { self.sendsFailed.increment(by: failed) }
  }

  /// An envelope was written to a device's stream now.
  func delivered(_ envelope: Relay_V1_Envelope, nowMs: Int64) {
    self.deliveries.increment()
    self.deliveryLatency.recordMilliseconds(max(0, nowMs - envelope.sentAtMs))
  }

  /// A wake-up finished.
  func pushed(_ result: WakeUpResult) {
    switch result {
    case .sent: self.pushSent.increment()
    case .retry: self.pushFailed.increment()
    case .dropped, .gone: self.pushDropped.increment()
    case .skipped: self.pushSkipped.increment()
    }
  }
}
