public import Wire

/// What federation needs from a backend beyond ``RelayStore``: the durable
/// outbox per peer, the idempotent apply of a peer's events, the cache of
/// remote users' devices, and the version vectors anti-entropy compares.
///
/// The send, receipt and membership transactions of the same backend write
/// the outbox rows, so an event exists exactly when its change committed.
public protocol FederationStore: RelayStore {
  /// Outbox events for `peer` after `id`, oldest first.
  func outbox(for peer: String, after id: UInt64, limit: Int) async throws -> [Relay_V1_OutboxEvent]
  /// Deletes these events of `peer`'s outbox, once the peer acked them. (By
  /// id, not "up to": on PostgreSQL an event with a lower id may commit later.)
  func deleteOutbox(for peer: String, ids: [UInt64]) async throws
  /// Whether `node` may stream `peer`'s outbox for the next `leaseMs`: one
  /// node of a region at a time (the embedded store has only one).
  func claimOutbox(for peer: String, node: String, leaseMs: Int64) async throws -> Bool
  /// How many events wait for `peer`, and since when the oldest.
  func outboxBacklog(for peer: String) async throws -> OutboxBacklog
  /// Applies a batch from `peer` in one transaction, each event once; see ``ReplicationOutcome``.
  func apply(
    _ events: [Relay_V1_OutboxEvent], from peer: String, rules: FederationRules
  ) async throws
    -> ReplicationOutcome
  /// Records a remote user (its home relay just described it) and replaces its known devices.
  func rememberRemoteDevices(of user: UserAddress, _ devices: [Relay_V1_DeviceInfo]) async throws
  /// Per conversation shared with `peer`'s users: the highest contiguous origin sequence of `peer` held here.
  func versionVector(origin peer: String) async throws -> [Relay_V1_VersionVectorEntry]
  /// Queues again, for `peer`, this relay's own messages past `vector` in the
  /// conversations `peer`'s users are members of; returns how many. `asGateway`
  /// (docs/regions.md): also the messages of the domain's other regions held
  /// here, for a caller whose entries name origins.
  func requeue(
    for peer: String, localDomain: String, asGateway: Bool, after vector: [Relay_V1_VersionVectorEntry]
  ) async throws -> Int
  /// Regions (docs/regions.md): claims `region` as the home of every user
  /// registered here with no home yet (a relay that became a region; the
  /// claim's clock is the first registration's time), and queues the claim
  /// and device keys of every user homed here for each of `siblings` that
  /// never got them (a region added later), and of the users just claimed
  /// for the others; returns how many users were claimed.
  func syncDirectory(region: LocalRegion, siblings: [String], nowMs: Int64) async throws -> Int
}

public struct OutboxBacklog: Sendable, Hashable {
  public var depth: Int
  /// When the oldest waiting event was queued (ms since the epoch); nil for an empty outbox.
  public var oldestQueuedAtMs: Int64?

  package init(depth: Int, oldestQueuedAtMs: Int64?) {
    self.depth = depth
    self.oldestQueuedAtMs = oldestQueuedAtMs
  }
}
