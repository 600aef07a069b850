internal import Foundation
internal import GRDB
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// Moves between regions, the new home's side, and what the old home passes
/// on after a move (docs/regions.md, "Moving a user").
extension SQLiteStore {
  /// Applies a transfer in the caller's savepoint: the user, its devices,
  /// keys, conversations, undelivered entries (at the cursors its devices
  /// know) and covers; the new home recorded and told to every other region.
  /// Nil for a redelivery (applied before).
  static func arrive(_ plan: UserTransferPlan, region: LocalRegion?, _ db: Database) throws -> [Doorbell]? {
    guard let region else { throw RelayError(.permissionDenied, "this relay is no region") }
    let user = plan.claim.user
    let u = user.description
    let version = try Int64(wire: plan.claim.version, field: "home version")
    if try Row.fetchOne(
      db, sql: "SELECT 1 FROM moves WHERE user_address = ? AND version = ? AND phase = ?",
      arguments: [u, version, UserMove.Phase.arrived.rawValue]) != nil
    {
      return nil  // applied before: a redelivery
    }
    guard let current = try Self.home(of: user, db), current.region == plan.source, plan.claim.wins(over: current)
    else { throw RelayError(.permissionDenied, "a region may only hand over the users homed in it") }
    try Self.writeHome(plan.claim, db)
    let devices = plan.transfer.devices
    try db.execute(
      sql: "INSERT INTO users (address, created_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
      arguments: [u, devices.map(\.registeredAtMs).min() ?? 0])
    // What this region kept of the user before: a remote user's devices, keys, a lost registration's rows.
    for table in [
      "one_time_prekeys", "push_endpoints", "mailbox", "link_codes", "devices", "remote_devices", "region_devices",
      "move_covers",
    ] {
      try db.execute(sql: "DELETE FROM \(table) WHERE user_address = ?", arguments: [u])
    }
    var doorbells = [Doorbell]()
    for device in devices {
      let address = try DeviceAddress.stored(user: u, device: device.deviceID)
      try db.execute(
        sql: """
          INSERT INTO devices (user_address, device_id, fingerprint, registered_at_ms, identity_signing, identity_agreement,
            signed_prekey_id, signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort, kem_last_resort_sig,
            mailbox_head, acked_cursor)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          u, device.deviceID, device.fingerprint, device.registeredAtMs, device.identity.signingKey,
          device.identity.agreementKey, device.signedPrekey.keyID, device.signedPrekey.publicKey,
          device.signedPrekey.signature, device.kemLastResort.keyID, device.kemLastResort.publicKey,
          device.kemLastResort.signature, try Int64(wire: device.mailboxHead, field: "mailbox_head"),
          try Int64(wire: device.ackedCursor, field: "acked_cursor"),
        ])
      try Self.insertOneTimePrekeys(db, device: address, ec: device.oneTimePrekeys, kem: device.kemPrekeys)
      if device.hasPush {
        try db.execute(
          sql: "INSERT INTO push_endpoints (user_address, device_id, kind, token, secret) VALUES (?, ?, ?, ?, ?)",
          arguments: [u, device.deviceID, device.push.kind.rawValue, device.push.token, device.push.secret])
      }
      if device.mailboxHead > device.ackedCursor {
        doorbells.append(Doorbell(device: address, cursor: device.mailboxHead))
      }
    }
    for conversation in plan.conversations {
      try Self.applyConversation(conversation.state, members: conversation.members, localDomain: nil, db)
    }
    for message in plan.messages {
      guard let seq = try Self.place(message.wire, sender: message.sender, checkMember: false, db) else {
        throw RelayError(.failedPrecondition, "a transferred message names a conversation the transfer lacks")
      }
      for copy in message.copies { _ = try Self.insertCopy(copy, message.wire.conversationID, seq, db) }
    }
    for entry in plan.transfer.entries {
      guard
        let seq = try Int64.fetchOne(
          db, sql: "SELECT seq FROM messages WHERE conversation_id = ? AND origin_relay = ? AND origin_seq = ?",
          arguments: [entry.conversationID, entry.originRelay, try Int64(wire: entry.originSeq, field: "origin_seq")])
      else { throw RelayError(.invalidArgument, "a transferred entry names a message the transfer lacks") }
      _ = try Self.insertMailboxEntry(
        db, device: try DeviceAddress.stored(user: u, device: entry.deviceID),
        cursor: try Int64(wire: entry.cursor, field: "cursor"),
        entry: entry.mailboxEntry(seq: UInt64(seq)))
    }
    for cover in plan.transfer.covers {
      try db.execute(
        sql: """
          INSERT INTO move_covers (user_address, conversation_id, origin_relay, contiguous_seq) VALUES (?, ?, ?, ?)
          ON CONFLICT DO UPDATE SET contiguous_seq = max(contiguous_seq, excluded.contiguous_seq)
          """,
        arguments: [
          u, cover.conversationID, cover.originRelay, try Int64(wire: cover.contiguousSeq, field: "contiguous_seq"),
        ])
    }
    let nowMs = HybridLogicalClock.systemMilliseconds()
    try Self.record(
      UserMove(
        user: user, version: plan.claim.version, source: plan.source, target: region.name, phase: .arrived,
        requestedAtMs: nowMs, doneAtMs: nowMs), db)
    for sibling in region.siblingRelays { try Self.enqueue(plan.claim.event, for: sibling, db) }
    return doorbells
  }

  /// What a moved user's old home passed on: applied here when the user
  /// moved here from there (passed on again when it has moved on since).
  static func applyForwarded(
    _ forwarded: PeerEvent.Forwarded, from peer: String, region: LocalRegion?, _ db: Database
  ) throws -> ReplicationOutcome.EventResult {
    guard let region,
      try Row.fetchOne(
        db, sql: "SELECT 1 FROM moves WHERE user_address = ? AND source = ? AND target = ? AND phase = ?",
        arguments: [
          forwarded.user.description, RelayID.region(of: peer), region.name, UserMove.Phase.arrived.rawValue,
        ]) != nil
    else { throw RelayError(.permissionDenied, "a region may only pass on events of the users who moved from it") }
    switch forwarded {
    case .message(let message, let sender, let copies, _):
      return try Self.applyMessage(message, sender: sender, copies: copies, gateway: nil, region: region, db)
    case .receipt(let receipt, let sender, let by, let user):
      if try Self.movedAway(user, region: region, db) != nil {
        try Self.forward(.receipt(receipt), of: user, region: region, db)
        return .applied([])
      }
      return .applied(try Self.applyReceipt(receipt, sender: sender, by: by, db))
    }
  }

  /// The region a user moved to from here, when it is homed there now.
  static func movedAway(_ user: UserAddress, region: LocalRegion, _ db: Database) throws -> String? {
    try String.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT h.region FROM moves m JOIN homes h ON h.user_address = m.user_address
          WHERE m.user_address = ? AND m.source = ? AND m.phase = ? AND h.region != ? LIMIT 1
          """),
      arguments: [user.description, region.name, UserMove.Phase.handedOff.rawValue, region.name])
  }

  /// Queues `event` for the region `user` moved to from here.
  static func forward(
    _ event: Relay_V1_MoveForward.OneOf_Event, of user: UserAddress, region: LocalRegion?, _ db: Database
  ) throws {
    guard let region, let home = try Self.movedAway(user, region: region, db) else { return }
    var wire = Relay_V1_FederationEvent()
    wire.moveForward.user = user.description
    wire.moveForward.event = event
    try Self.enqueue(wire, for: RelayID.of(domain: region.domain, region: home), db)
  }

  /// Whether a moved user's old home held `message` for it (its cover).
  static func covered(_ user: UserAddress, _ message: Relay_V1_ReplicatedMessage, _ db: Database) throws -> Bool {
    guard
      let cover = try Int64.fetchOne(
        db.cachedStatement(
          sql: """
            SELECT contiguous_seq FROM move_covers WHERE user_address = ? AND conversation_id = ? AND origin_relay = ?
            """),
        arguments: [user.description, message.conversationID, message.originRelay])
    else { return false }
    return try Int64(wire: message.originSeq, field: "origin_seq") <= cover
  }
}
