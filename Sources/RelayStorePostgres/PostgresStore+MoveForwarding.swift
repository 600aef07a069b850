internal import Foundation
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// What reaches a moved user's old home after the move, passed on to its new
/// home (docs/regions.md, "Moving a user").
extension PostgresStore {
  /// What a moved user's old home passed on: applied here when the user
  /// moved here from there (passed on again when it has moved on since).
  static func applyForwarded(
    _ forwarded: PeerEvent.Forwarded, from peer: String, region: LocalRegion?, _ db: PostgresConnection
  ) async throws -> ReplicationOutcome.EventResult {
    guard let region,
      try await !db.rows(
        """
        SELECT 1 FROM moves WHERE user_address = \(forwarded.user.description) AND source = \(RelayID.region(of: peer))
          AND target = \(region.name) AND phase = \(Int32(UserMove.Phase.arrived.rawValue))
        """
      ).isEmpty
    else { throw RelayError(.permissionDenied, "a region may only pass on events of the users who moved from it") }
    switch forwarded {
    case .message(let message, let sender, let copies, _):
      return try await Self.applyMessage(
        message, sender: sender, copies: copies, gateway: nil, region: region, db)
    case .receipt(let receipt, let sender, let by, let user):
      if try await Self.movedAway(user, region: region, db) != nil {
        try await Self.forward(.receipt(receipt), of: user, region: region, db)
        return .applied([])
      }
      do {
        return .applied(try await Self.applyReceipt(receipt, sender: sender, by: by, db))
      } catch let error as RelayError where error.code == .notFound {
        return .applied([])  // for a message older than the transfer brought: dropped (docs/regions.md)
      }
    case .marker(let marker):
      return .applied(try await Self.endDrain(marker, db))
    }
  }

  /// The region a user moved to from here, when it is homed there now.
  static func movedAway(_ user: UserAddress, region: LocalRegion, _ db: PostgresConnection) async throws -> String? {
    try await db.rows(
      """
      SELECT h.region FROM moves m JOIN homes h ON h.user_address = m.user_address
      WHERE m.user_address = \(user.description) AND m.source = \(region.name)
        AND m.phase = \(Int32(UserMove.Phase.handedOff.rawValue)) AND h.region <> \(region.name) LIMIT 1
      """
    ).first.map { try $0.decode(String.self) }
  }

  /// Queues `event` for the region `user` moved to from here.
  static func forward(
    _ event: Relay_V1_MoveForward.OneOf_Event, of user: UserAddress, region: LocalRegion?, _ db: PostgresConnection
  ) async throws {
    guard let region, let home = try await Self.movedAway(user, region: region, db) else { return }
    var wire = Relay_V1_FederationEvent()
    wire.moveForward.user = user.description
    wire.moveForward.event = event
    try await Self.enqueue(wire, for: RelayID.of(domain: region.domain, region: home), db)
  }
}
