public import ServiceLifecycle

extension ServiceGroupConfiguration {
  /// A graceful shutdown ends: past the connections' grace period and as
  /// long again for the rest (the last commits, the pools), every service
  /// still running is cancelled, and past a few seconds more the group gives
  /// up waiting and the relay exits with an error, instead of hanging on a
  /// call or a dependency that never answers.
  public mutating func bound(by relay: RelayConfiguration) {
    self.maximumGracefulShutdownDuration = relay.connection.shutdownGracePeriod * 2 + .seconds(5)
    self.maximumCancellationDuration = .seconds(5)
  }
}
