internal import CoreMetrics
internal import Logging
internal import Redis
internal import RelayCore
internal import ServiceLifecycle

/// Samples what is a state rather than an event, on a timer: devices
/// connected here, mailbox depth, database connections in use, Redis round
/// trips since the last sample.
struct MetricsSampler: Service {
  let metrics: RelayMetrics
  let sessions: SessionRegistry
  let store: any RelayStore
  let redis: RedisClient?
  let interval: Duration
  let logger: Logger

  func run() async throws {
    var roundTrips: Int64 = 0
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      self.metrics.connectedDevices.record(self.sessions.all().count)
      if let depth = try? await self.store.mailboxDepth() { self.metrics.mailboxDepth.record(depth) }
      if let pending = try? await self.store.wakeUpsPending() { self.metrics.pushQueue.record(pending) }
      if let inUse = self.store.connectionsInUse { self.metrics.databaseConnectionsInUse.record(inUse) }
      if let redis = self.redis {
        let total = redis.roundTrips
        self.metrics.redisRoundTrips.increment(by: total - roundTrips)
        roundTrips = total
      }
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
    }
  }
}
