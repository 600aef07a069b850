public import RelayCore
public import ServiceLifecycle

extension ServiceGroupConfiguration {
  /// A graceful shutdown ends: past the connections' grace period and as
  /// long again for the rest (the last commits, the pools), every service
  /// still running is cancelled. (No bound on the cancellation itself:
  /// swift-service-lifecycle ends a cancellation that overruns its bound
  /// with a fatal error, which took down a whole test process of in-process
  /// relays when one of them was slow to stop on a loaded machine.)
  public mutating func bound(by relay: RelayConfiguration) {
    self.maximumGracefulShutdownDuration = relay.connection.shutdownGracePeriod * 2 + .seconds(5)
  }
}
