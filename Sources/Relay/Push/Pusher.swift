internal import CoreMetrics
internal import Logging
internal import RelayCore
internal import ServiceLifecycle
internal import Wire

/// Wakes offline devices through the push gateway (docs/push.md).
///
/// Every commit hints the devices it wrote to that have no session here;
/// every `scanInterval` the whole queue is searched too (retries falling due,
/// commits of other nodes, wake-ups left over from before a restart). Each
/// due wake-up is claimed in the store on a lease — so one node of a region
/// calls the gateway for it, at most one call per device is in flight, and a
/// crash between commit and call loses nothing — then, unless the device
/// connected meanwhile, sent, and finished as ``WakeUpPolicy`` decides.
final class Pusher: Service, Sendable {
  private let store: any PushStore
  private let gateway: any PushGateway
  private let configuration: RelayConfiguration.Push
  private let policy: WakeUpPolicy
  /// Whether a node holds the device's stream now (this node, or any of the region).
  private let isConnected: @Sendable (DeviceAddress) async -> Bool
  /// Returns once the store may be read (the node is prepared); throws if it never will be.
  private let ready: @Sendable () async throws -> Void
  private let hints: (stream: AsyncStream<[DeviceAddress]>, continuation: AsyncStream<[DeviceAddress]>.Continuation)
  private let metrics: RelayMetrics
  private let logger: Logger

  init(
    store: any PushStore, gateway: any PushGateway, configuration: RelayConfiguration.Push,
    isConnected: @escaping @Sendable (DeviceAddress) async -> Bool,
    ready: @escaping @Sendable () async throws -> Void = {}, metrics: RelayMetrics, logger: Logger
  ) {
    self.store = store
    self.gateway = gateway
    self.configuration = configuration
    self.policy = configuration.policy
    self.isConnected = isConnected
    self.ready = ready
    // A burst of commits while the store is slow keeps the newest hints; the scan finds the rest.
    self.hints = AsyncStream.makeStream(of: [DeviceAddress].self, bufferingPolicy: .bufferingNewest(256))
    self.metrics = metrics
    self.logger = logger
  }

  /// These devices got mailbox entries and have no session on this node.
  func hint(_ devices: [DeviceAddress]) {
    guard !devices.isEmpty else { return }
    self.hints.continuation.yield(devices)
  }

  func run() async throws {
    do {
      try await self.wake()
    } catch {
      await self.stop()
      throw error
    }
    await self.stop()
  }

  private func wake() async throws {
    try await cancelWhenGracefulShutdown {
      // Before the schema is migrated, the queue is not there to read.
      guard try await waitUntilReady(self.ready) else { return }
      await withDiscardingTaskGroup { group in
        group.addTask {
          while !Task.isCancelled {
            await self.round(devices: nil)
            try? await Task.sleep(for: self.configuration.scanInterval)
          }
        }
        group.addTask {
          for await devices in self.hints.stream { await self.round(devices: devices) }
        }
      }
    }
  }

  private func stop() async {
    self.hints.continuation.finish()
    await self.gateway.shutdown()
  }

  /// Claims what is due (among `devices`, or anywhere) and wakes it.
  private func round(devices: [DeviceAddress]?) async {
    let limit = self.configuration.maxConcurrentCalls * 4
    let claimed: [WakeUp]
    do {
      claimed = try await self.store.claimWakeUps(
        devices: devices, nowMs: HybridLogicalClock.systemMilliseconds(), leaseMs: self.leaseMs, limit: limit)
    } catch {
      self.logger.warning("cannot read the wake-up queue", metadata: ["error": "\(error)"])
      return
    }
    await withTaskGroup(of: Void.self) { group in
      var running = 0
      for wakeUp in claimed {
        // At most `maxConcurrentCalls` calls in flight.
        if running == self.configuration.maxConcurrentCalls {
          await group.next()
          running -= 1
        }
        running += 1
        group.addTask { await self.wake(wakeUp) }
      }
    }
  }

  /// A claim outlives a call by far: twice the call's timeout, and a second.
  private var leaseMs: Int64 { 2 * self.configuration.timeout.milliseconds + 1000 }

  private func wake(_ wakeUp: WakeUp) async {
    let result: WakeUpResult
    if await self.isConnected(wakeUp.device) {
      result = .skipped
    } else {
      let answer = await self.gateway.wake(wakeUp)
      result = self.policy.result(
        answer, attempts: wakeUp.attempts, nowMs: HybridLogicalClock.systemMilliseconds(),
        jitter: .random(in: -1 ... 1))
    }
    // Shutting down mid-call: the outcome is unknown; the claim lapses and the
    // wake-up is claimed again (by this relay's next run, or another node).
    guard !Task.isCancelled else { return }
    self.metrics.pushed(result)
    if case .gone = result {
      self.logger.info("the push gateway says a device's token is gone; its endpoint is removed")
    }
    do {
      try await self.store.finishWakeUp(wakeUp, result)
    } catch {
      // The lease lapses and the wake-up is claimed again: at least once, never lost.
      self.logger.warning("cannot record a wake-up", metadata: ["error": "\(error)"])
    }
  }
}
