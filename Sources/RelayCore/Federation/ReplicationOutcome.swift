/// How a batch went: acked through `throughID`; `rejected` events were invalid
/// and are skipped for good; `deferred` when it stopped at an event that
/// cannot apply yet (its conversation is not here yet).
///
/// Both stores apply a batch the same way — each event in a savepoint, in
/// order — and hand each event's result to ``record(_:_:)``, which decides
/// what the batch acknowledges.
public struct ReplicationOutcome: Sendable {
  public var throughID: UInt64 = 0
  public var rejected: [RelayError] = []
  public var deferred = false
  public var doorbells: [Doorbell] = []
  /// Users of this domain whose home region changed (docs/regions.md).
  public var rehomed: [HomeClaim] = []
  /// Events the gateway region queued onward (docs/regions.md, "Other domains").
  public var forwarded = 0
  /// Users who moved here from another region (docs/regions.md, "Moving a user").
  public var arrived = 0

  package init(throughID: UInt64 = 0, rejected: [RelayError] = [], doorbells: [Doorbell] = []) {
    self.throughID = throughID
    self.rejected = rejected
    self.doorbells = doorbells
  }

  /// What applying one event did (its savepoint was released only for `applied`).
  package enum EventResult: Sendable {
    /// Written (or found written before: a redelivery); these devices have new entries.
    case applied([Doorbell])
    /// Its conversation is not here yet: it and everything after it wait for a later batch.
    case deferred
    /// Invalid: skipped for good, acknowledged, counted.
    case rejected(RelayError)
    /// A home claim that won: the user's home is now the claim's region.
    case rehomed(HomeClaim)
    /// A user moved here; these devices have entries.
    case arrived([Doorbell])
  }

  /// Records event `id`'s result; false when the batch stops here. An applied
  /// or rejected event is acknowledged; a deferred one is not, and neither is
  /// anything after it, so the peer sends them again, in order.
  /// `forwarded`: the events the gateway queued onward for it (kept only with an applied one).
  package mutating func record(_ id: UInt64, _ result: EventResult, forwarded: Int = 0) -> Bool {
    switch result {
    case .applied(let doorbells):
      self.doorbells += doorbells
      self.forwarded += forwarded
    case .rejected(let error):
      self.rejected.append(error)
    case .rehomed(let claim):
      self.rehomed.append(claim)
      self.forwarded += forwarded
    case .arrived(let doorbells):
      self.doorbells += doorbells
      self.arrived += 1
    case .deferred:
      self.deferred = true
      return false
    }
    self.throughID = id
    return true
  }
}
