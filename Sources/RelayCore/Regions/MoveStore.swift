public import Wire

/// What a backend does for moves between regions (docs/regions.md, "Moving
/// a user"); the new home's side is an event it applies (``PeerEvent``).
public protocol MoveStore: Sendable {
  /// Records a move of `user`, homed in `region`, to `target`: refused
  /// unless the directory homes the user here and no move of it is pending.
  func requestMove(
    of user: UserAddress, to target: String, region: LocalRegion, nowMs: Int64
  ) async throws
    -> UserMove
  /// The moves this region took part in, newest first (of `user`, or all).
  func moves(of user: UserAddress?, limit: Int) async throws -> [UserMove]
  /// The requested moves, oldest first.
  func pendingMoves() async throws -> [UserMove]
  /// Hands a requested move off in one transaction: the new home recorded
  /// (as of `claimedHLC`), everything of the user queued for it in one
  /// event (failed, and nothing changed, when it would exceed `maxBytes`
  /// or `check` — the new home's rules — refuses it), the user's devices,
  /// keys and mailboxes deleted here, their keys kept to answer "moved to".
  /// Returns the move as it now stands.
  func handOff(
    _ move: UserMove, region: LocalRegion, claimedHLC: UInt64, maxBytes: Int, nowMs: Int64,
    check: @escaping @Sendable (Relay_V1_UserTransfer) throws(RelayError) -> Void
  ) async throws -> UserMove
}
