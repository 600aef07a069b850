internal import Logging
internal import Redis
internal import RelayCore
internal import ServiceLifecycle
internal import Synchronization
internal import Wire

/// A region node's link to the other nodes, through Redis: it records which
/// node holds each device's stream (`session:`), forwards doorbells for
/// devices streaming elsewhere to that node's channel, and keeps `presence:`,
/// `user_devices:`, `last_seen:` and `typing:` as the seed design lays them
/// out, announcing changes on the events channel.
///
/// Redis is a hint source here, never the truth: a command that fails is
/// logged and dropped, except doorbells, which are kept while Redis is out of
/// reach and forwarded when it is back (``UndeliveredDoorbells``). The
/// mailbox in PostgreSQL has every message either way.
///
/// Here: the job queue that serializes what goes to Redis; the doorbells are
/// in `RegionLink+Doorbells.swift`, presence in `RegionLink+Presence.swift`,
/// the server-side scripts in `RegionScripts.swift`.
final class RegionLink: Service {
  enum Job: Sendable {
    case forward([Doorbell])
    /// Redis is back: forward what could not be forwarded meanwhile.
    case forwardUndelivered
    case commands([[String]], then: @Sendable ([RedisValue]) -> Void)
  }

  let redis: RedisClient
  let nodeID: String
  let presenceTTL: Duration
  let sessionTTL: Duration
  let wallClock: @Sendable () -> Int64
  let logger: Logger
  let jobs: AsyncStream<Job>
  let queue: AsyncStream<Job>.Continuation
  let undelivered = Mutex(UndeliveredDoorbells(limit: 100_000))

  init(
    redis: RedisClient, configuration: RelayConfiguration, wallClock: @escaping @Sendable () -> Int64, logger: Logger
  ) {
    self.redis = redis
    self.nodeID = configuration.region.nodeID
    self.presenceTTL = configuration.presence.ttl
    self.sessionTTL = configuration.region.sessionTTL
    self.wallClock = wallClock
    var logger = logger
    logger[metadataKey: "node"] = "\(configuration.region.nodeID)"
    self.logger = logger
    (self.jobs, self.queue) = AsyncStream.makeStream()
  }

  func run() async throws {
    for await job in self.jobs.cancelOnGracefulShutdown() {
      switch job {
      case .forward(let doorbells):
        do {
          try await self.ringElsewhere(doorbells)
        } catch {
          self.logger.debug("doorbells kept until Redis is back", metadata: ["devices": "\(doorbells.count)"])
          self.undelivered.withLock { $0.add(doorbells) }
        }
      case .forwardUndelivered:
        await self.forwardUndelivered()
      case .commands(let commands, let then):
        do {
          then(try await self.redis.pipeline(commands))
        } catch {
          self.logger.debug("a Redis update was dropped", metadata: ["error": "\(error)"])
        }
      }
    }
  }
}
