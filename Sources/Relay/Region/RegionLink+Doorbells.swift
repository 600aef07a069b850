internal import Logging
internal import Redis
internal import RelayCore
internal import Synchronization
internal import Wire

/// Doorbells for devices streaming on another node: published to that
/// node's channel, or kept while Redis is out of reach.
extension RegionLink {
  /// Doorbells for devices with no stream on this node: rung on the node that has one.
  func forward(_ doorbells: [Doorbell]) {
    self.queue.yield(.forward(doorbells))
  }

  /// Called when this node is connected to Redis (again).
  func reconnected() {
    self.queue.yield(.forwardUndelivered)
  }

  func forwardUndelivered() async {
    let backlog = self.undelivered.withLock { $0.take() }
    self.logger.debug("back on Redis: sending kept doorbells", metadata: ["backlog": "\(backlog)"])
    do {
      switch backlog {
      case .none:
        return
      case .doorbells(let doorbells):
        try await self.ringElsewhere(doorbells)
      case .everyone:
        _ = try await self.redis.pipeline([["PUBLISH", RegionKeys.events, RegionEvent.resync.payload]])
      }
    } catch {
      // Out of reach again: keep them for the next reconnect.
      self.undelivered.withLock { $0.putBack(backlog) }
    }
  }

  func ringElsewhere(_ doorbells: [Doorbell]) async throws {
    var highest = [DeviceAddress: UInt64]()
    for bell in doorbells { highest[bell.device] = max(highest[bell.device] ?? 0, bell.cursor) }
    let devices = Array(highest.keys)
    let nodes = try await self.redis.pipeline(devices.map { ["HGET", RegionKeys.session($0), "node"] })
    var publishes = [[String]]()
    for (device, node) in zip(devices, nodes) {
      // No session anywhere: the device syncs from its mailbox when it connects.
      guard let node = node.text, node != self.nodeID else { continue }
      let event = RegionEvent.doorbell(device, cursor: highest[device]!)
      publishes.append(["PUBLISH", RegionKeys.doorbell(node: node), event.payload])
    }
    if !publishes.isEmpty { _ = try await self.redis.pipeline(publishes) }
    self.logger.trace(
      "doorbells forwarded", metadata: ["devices": "\(devices.count)", "published": "\(publishes.count)"])
  }
}
