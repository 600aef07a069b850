internal import Foundation
internal import GRDB
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// A transfer too large for one event, the new home's side (docs/regions.md,
/// "Moving a user"): its first parts kept aside until the last one comes.
extension SQLiteStore {
  /// Keeps one of a transfer's first parts (once; nothing for a move applied already).
  static func stage(_ part: TransferPart, region: LocalRegion?, _ db: Database) throws {
    guard region != nil else { throw RelayError(.permissionDenied, "this relay is no region") }
    let u = part.user.description
    let version = try Int64(wire: part.version, field: "home version")
    if try Self.hasArrived(u, version, db) { return }
    guard try Self.home(of: part.user, db)?.region == part.source else {
      throw RelayError(.permissionDenied, "a region may only hand over the users homed in it")
    }
    try db.execute(
      sql: """
        INSERT INTO transfer_parts (user_address, version, part, transfer) VALUES (?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """,
      arguments: [
        u, version, try Int64(wire: UInt64(part.part), field: "transfer part"),
        try part.transfer.serializedBytes() as Data,
      ])
  }

  /// The parts kept aside for the transfer `plan` ends, in order.
  static func stagedParts(of plan: UserTransferPlan, _ db: Database) throws -> [Relay_V1_UserTransfer] {
    try Data.fetchAll(
      db, sql: "SELECT transfer FROM transfer_parts WHERE user_address = ? AND version = ? ORDER BY part",
      arguments: [plan.claim.user.description, try Int64(wire: plan.claim.version, field: "home version")]
    ).map { try Relay_V1_UserTransfer(serializedBytes: $0) }
  }

  /// Whether the move to `version` of the user arrived here already.
  static func hasArrived(_ user: String, _ version: Int64, _ db: Database) throws -> Bool {
    try Row.fetchOne(
      db, sql: "SELECT 1 FROM moves WHERE user_address = ? AND version = ? AND phase = ?",
      arguments: [user, version, UserMove.Phase.arrived.rawValue]) != nil
  }
}
