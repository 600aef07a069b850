internal import CoreMetrics
internal import Federation
internal import Logging
internal import RelayCore
internal import ServiceLifecycle

/// Hands off the moves `relay users move` requested on this region
/// (docs/regions.md, "Moving a user"). The request is a row in the database,
/// so the runner finds it whenever it looks — after a restart too — and
/// each hand-off is one transaction: a crash at any point leaves the move
/// requested (done again) or handed off (its transfer in the durable outbox).
struct MoveRunner: Service {
  let store: any MoveStore
  let region: LocalRegion
  /// This relay's rules for its peers' events: a transfer is checked as the new home will check it.
  let rules: FederationRules
  let clock: HybridLogicalClock
  /// A transfer is one federation event: it must fit a peer's frame.
  let maxBytes: Int
  let interval: Duration
  let dispatcher: CommitDispatcher
  let metrics: FederationMetrics
  let ready: @Sendable () async throws -> Void
  let logger: Logger

  func run() async throws {
    guard try await cancelWhenGracefulShutdown({ try await waitUntilReady(self.ready) }) else { return }
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      do {
        try await self.handOffPending()
      } catch {
        self.logger.warning("moving users failed; retrying", metadata: ["error": "\(error)"])
      }
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
    }
  }

  func handOffPending() async throws {
    for move in try await self.store.pendingMoves() {
      let done = try await self.store.handOff(
        move, region: self.region, claimedHLC: self.clock.now().hlc, maxBytes: self.maxBytes,
        nowMs: HybridLogicalClock.systemMilliseconds()
      ) { [rules = self.rules.asRegion(move.target), from = self.region.relay] transfer throws(RelayError) in
        _ = try rules.check(transfer, from: from)
      }
      guard done.phase != move.phase else { continue }
      self.metrics.moves[done.phase]?.increment()
      switch done.phase {
      case .handedOff:
        self.logger.info(
          "handed a user off to its new home",
          metadata: ["user": "\(done.user)", "region": "\(done.target)", "version": "\(done.version)"])
        // Its devices here are told where it went; the transfer's link wakes.
        self.dispatcher.rehomed([
          HomeClaim(user: done.user, region: done.target, claimedHLC: 0, version: done.version)
        ])
        self.dispatcher.committed([])
      default:
        self.logger.warning(
          "could not move a user", metadata: ["user": "\(done.user)", "error": "\(done.failure)"])
      }
    }
  }
}
