public import Wire

/// What push wake-ups need of a store (docs/push.md). Every backend has it:
/// `RelayStore` refines it, so the contract suite runs it on both.
///
/// The queue is the devices' mailboxes: a device with an endpoint is due a
/// wake-up while its mailbox head is past its acknowledged cursor and past
/// the head its last wake-up covered (and, unless it caught up since that
/// wake-up, its interval has passed). Nothing extra is written on the send path.
public protocol PushStore: Sendable {
  /// Sets (or replaces) the device's endpoint; the next entry wakes it.
  func setPushEndpoint(_ endpoint: PushEndpoint, for device: DeviceAddress) async throws
  /// The device's endpoint, if it set one.
  func pushEndpoint(for device: DeviceAddress) async throws -> PushEndpoint?
  /// False when the device had none.
  func removePushEndpoint(for device: DeviceAddress) async throws -> Bool
  /// Claims the wake-ups due now, each for `leaseMs` (no other caller, on any
  /// node, gets it until then or until it is finished). `devices` limits the
  /// search to those devices (a hint from a commit); nil searches all.
  func claimWakeUps(devices: [DeviceAddress]?, nowMs: Int64, leaseMs: Int64, limit: Int) async throws -> [WakeUp]
  /// Devices with a wake-up pending (due now, or after their interval or backoff): the queue's depth.
  func wakeUpsPending() async throws -> Int64
  /// Records how a claimed wake-up went, and releases it.
  func finishWakeUp(_ wakeUp: WakeUp, _ result: WakeUpResult) async throws
}
