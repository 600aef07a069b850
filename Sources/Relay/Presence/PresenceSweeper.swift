internal import RelayCore
internal import ServiceLifecycle

/// Expires presence and typing on a timer, and closes the streams of devices
/// that stopped sending heartbeats.
struct PresenceSweeper: Service {
  let presence: any PresenceTracker
  let sessions: SessionRegistry
  let interval: Duration
  let ttl: Duration

  func run() async throws {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
      for device in self.presence.sweep() {
        self.sessions.session(for: device)?.close(
          RelayError(.unavailable, "no heartbeat for \(self.ttl.components.seconds) s: reconnect"))
      }
    }
  }
}
