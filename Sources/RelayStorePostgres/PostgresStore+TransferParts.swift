internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// A transfer too large for one event, the new home's side (docs/regions.md,
/// "Moving a user"): its first parts kept aside until the last one comes.
extension PostgresStore {
  /// Keeps one of a transfer's first parts (once; nothing for a move applied already).
  static func stage(_ part: TransferPart, region: LocalRegion?, _ db: PostgresConnection) async throws {
    guard region != nil else { throw RelayError(.permissionDenied, "this relay is no region") }
    let u = part.user.description
    let version = try Int64(wire: part.version, field: "home version")
    if try await Self.hasArrived(u, version, db) { return }
    guard try await Self.home(of: part.user, lock: true, db)?.region == part.source else {
      throw RelayError(.permissionDenied, "a region may only hand over the users homed in it")
    }
    let index = try Int64(wire: UInt64(part.part), field: "transfer part")
    let bytes = ByteBuffer(bytes: try part.transfer.serializedBytes() as [UInt8])
    try await db.run(
      """
      INSERT INTO transfer_parts (user_address, version, part, transfer)
      VALUES (\(u), \(version), \(index), \(bytes))
      ON CONFLICT DO NOTHING
      """)
  }

  /// The parts kept aside for the transfer `plan` ends, in order.
  static func stagedParts(
    of plan: UserTransferPlan, _ db: PostgresConnection
  ) async throws
    -> [Relay_V1_UserTransfer]
  {
    let version = try Int64(wire: plan.claim.version, field: "home version")
    return try await db.rows(
      """
      SELECT transfer FROM transfer_parts WHERE user_address = \(plan.claim.user.description) AND version = \(version)
      ORDER BY part
      """
    ).map { row in
      var buffer = try row.decode(ByteBuffer.self)
      return try Relay_V1_UserTransfer(serializedBytes: buffer.readBytes(length: buffer.readableBytes) ?? [])
    }
  }

  /// Whether the move to `version` of the user arrived here already.
  static func hasArrived(_ user: String, _ version: Int64, _ db: PostgresConnection) async throws -> Bool {
    try await !db.rows(
      """
      SELECT 1 FROM moves WHERE user_address = \(user) AND version = \(version)
        AND phase = \(Int32(UserMove.Phase.arrived.rawValue))
      """
    ).isEmpty
  }
}
