internal import RelayCore

/// Where wake-ups go: the operator's gateway. ``WebhookGateway`` is the one
/// kind today; the protocol leaves room for APNs and FCM gateways.
protocol PushGateway: Sendable {
  /// Calls the gateway once for `wakeUp`; what it answered.
  func wake(_ wakeUp: WakeUp) async -> WakeUpPolicy.Answer
  /// Closes the gateway's connections.
  func shutdown() async
}
