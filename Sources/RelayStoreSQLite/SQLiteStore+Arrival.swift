internal import Foundation
internal import GRDB
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// Moves between regions, the new home's side (docs/regions.md, "Moving a user").
extension SQLiteStore {
  /// Applies a transfer in the caller's savepoint: the user, its devices,
  /// keys, conversations, undelivered entries (at the cursors its devices
  /// know) and covers; the new home recorded and told to every other region.
  /// Nil for a redelivery (applied before).
  static func arrive(_ plan: UserTransferPlan, rules: FederationRules, _ db: Database) throws -> [Doorbell]? {
    guard let region = rules.region else { throw RelayError(.permissionDenied, "this relay is no region") }
    let user = plan.claim.user
    let u = user.description
    let version = try Int64(wire: plan.claim.version, field: "home version")
    if try Self.hasArrived(u, version, db) { return nil }  // applied before: a redelivery
    guard let current = try Self.home(of: user, db), current.region == plan.source, plan.claim.wins(over: current)
    else { throw RelayError(.permissionDenied, "a region may only hand over the users homed in it") }
    // The last part of a larger transfer: the whole, with the parts kept aside before it.
    let plan = plan.transfer.parts > 1 ? try plan.assembled(with: Self.stagedParts(of: plan, db), rules: rules) : plan
    try Self.writeHome(plan.claim, db)
    let devices = plan.transfer.devices
    try db.execute(
      sql: "INSERT INTO users (address, created_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
      arguments: [u, devices.map(\.registeredAtMs).min() ?? 0])
    // What this region kept of the user before: a remote user's devices, keys, a lost registration's rows.
    for table in [
      "one_time_prekeys", "push_endpoints", "mailbox", "link_codes", "devices", "remote_devices", "region_devices",
      "move_covers", "move_drains", "held_copies", "transfer_parts",
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
    try Self.startDrains(plan, region: region, db)
    return doorbells
  }
}
