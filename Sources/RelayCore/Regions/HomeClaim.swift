public import Wire

/// Which region of the domain is a user's home, as one region claimed it
/// (docs/regions.md). Every region keeps the winning claim per user, so all
/// of them converge on one home whatever order the claims arrive in.
public struct HomeClaim: Sendable, Hashable {
  public var user: UserAddress
  public var region: String
  /// The claiming region's hybrid logical clock when it claimed the user.
  public var claimedHLC: UInt64
  /// 1 for a registration; each move of the user adds one.
  public var version: UInt64
  /// For a move: the user's old home, to which every other region sends a
  /// ``MoveMarker`` when it learns the claim (docs/regions.md, "Arrival order").
  public var movedFrom: String?

  public init(user: UserAddress, region: String, claimedHLC: UInt64, version: UInt64, movedFrom: String? = nil) {
    self.user = user
    self.region = region
    self.claimedHLC = claimedHLC
    self.version = version
    self.movedFrom = movedFrom
  }

  /// The rule every region applies: the higher version wins; at equal
  /// versions (two regions registered one name during a partition) the
  /// earlier claim, and at equal clocks the lower region name. A total
  /// order, so a claim never wins over itself and replays change nothing.
  public func wins(over other: HomeClaim) -> Bool {
    if self.version != other.version { return self.version > other.version }
    if self.claimedHLC != other.claimedHLC { return self.claimedHLC < other.claimedHLC }
    return self.region < other.region
  }

  /// The replication event that tells the other regions.
  package var event: Relay_V1_FederationEvent {
    var event = Relay_V1_FederationEvent()
    event.homeClaim.user = self.user.description
    event.homeClaim.region = self.region
    event.homeClaim.claimedHlc = self.claimedHLC
    event.homeClaim.version = self.version
    if let movedFrom = self.movedFrom { event.homeClaim.movedFrom = movedFrom }
    return event
  }
}
