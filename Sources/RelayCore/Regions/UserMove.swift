public import Wire

/// A move of a user's home from one region of the domain to another
/// (docs/regions.md, "Moving a user"), as the regions that took part record
/// it: the old home from `relay users move` on, the new one once the user
/// arrived. Its phase is durable, so a move resumes after a crash.
public struct UserMove: Sendable, Hashable {
  public enum Phase: Int, Sendable, CaseIterable {
    /// `relay users move` asked for it; the old home hands the user off next.
    case requested = 1
    /// The old home recorded the new one and queued everything of the user
    /// for it, in one transaction; it answers "moved to" from now on.
    case handedOff = 2
    /// The new home applied the transfer and told the other regions.
    case arrived = 3
    /// The old home could not hand the user off (`failure` says why); nothing moved.
    case failed = 4

    public var name: String {
      switch self {
      case .requested: "requested"
      case .handedOff: "handed-off"
      case .arrived: "arrived"
      case .failed: "failed"
      }
    }
  }

  public var user: UserAddress
  /// The home version the move makes: the user's version before it, plus one.
  public var version: UInt64
  /// Region names: the old home and the new one.
  public var source: String
  public var target: String
  public var phase: Phase
  public var requestedAtMs: Int64
  /// When it reached its phase, for a handed-off, arrived or failed move.
  public var doneAtMs: Int64
  public var failure: String
  /// On the new home, for an arrived move: the regions whose marker has not
  /// come through the old home yet, whose copies for the user are held until
  /// it does (docs/regions.md, "Arrival order across a move"). Listings only.
  public var awaitingMarkers: [String] = []

  public init(
    user: UserAddress, version: UInt64, source: String, target: String, phase: Phase, requestedAtMs: Int64,
    doneAtMs: Int64 = 0, failure: String = ""
  ) {
    self.user = user
    self.version = version
    self.source = source
    self.target = target
    self.phase = phase
    self.requestedAtMs = requestedAtMs
    self.doneAtMs = doneAtMs
    self.failure = failure
  }

  /// Fills in ``awaitingMarkers`` from the (user, version, region) rows of a store's drains.
  package static func withDrains(
    _ moves: [UserMove], _ drains: [(user: String, version: Int64, region: String)]
  ) -> [UserMove] {
    guard !drains.isEmpty else { return moves }
    var awaiting = [String: [String]]()
    for drain in drains { awaiting["\(drain.user) \(drain.version)", default: []].append(drain.region) }
    return moves.map { move in
      var move = move
      if move.phase == .arrived { move.awaitingMarkers = awaiting["\(move.user) \(move.version)"] ?? [] }
      return move
    }
  }
}
