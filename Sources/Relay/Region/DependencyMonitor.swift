internal import Logging
internal import Redis
internal import RelayCore
internal import ServiceLifecycle

/// Checks, on a timer, that the node's shared dependencies answer — its
/// shared store (`RelayStore.ping()`: PostgreSQL's `SELECT 1` within the
/// lease timeout) and Redis (connected) — and turns
/// the health service NOT_SERVING while either does not, SERVING when both
/// are back. A load balancer's health check then takes the node out of
/// rotation by itself.
struct DependencyMonitor: Service {
  let store: any RelayStore
  let redis: RedisClient?
  let health: HealthService
  let interval: Duration
  let logger: Logger

  func run() async throws {
    var wasReachable = true
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      let database = await self.store.ping()
      let redis = self.redis?.isConnected ?? true
      let reachable = database && redis
      if reachable != wasReachable {
        if reachable {
          self.logger.info("PostgreSQL and Redis reachable again: serving")
        } else {
          self.logger.warning(
            "a shared dependency is unreachable: not serving",
            metadata: ["postgres": "\(database)", "redis": "\(redis)"])
        }
        wasReachable = reachable
      }
      self.health.setDependenciesReachable(reachable)
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
    }
  }
}
