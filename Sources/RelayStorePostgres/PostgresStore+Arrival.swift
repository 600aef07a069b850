internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// Moves between regions, the new home's side (docs/regions.md, "Moving a user").
extension PostgresStore {
  /// Applies a transfer in the caller's savepoint: the user, its devices,
  /// keys, conversations, undelivered entries (at the cursors its devices
  /// know) and covers; the new home recorded and told to every other region.
  /// Nil for a redelivery (applied before).
  static func arrive(
    _ plan: UserTransferPlan, rules: FederationRules, _ db: PostgresConnection
  ) async throws
    -> [Doorbell]?
  {
    guard let region = rules.region else { throw RelayError(.permissionDenied, "this relay is no region") }
    let user = plan.claim.user
    let u = user.description
    let current = try await Self.home(of: user, lock: true, db)
    let version = try Int64(wire: plan.claim.version, field: "home version")
    if try await Self.hasArrived(u, version, db) { return nil }  // applied before: a redelivery
    guard let current, current.region == plan.source, plan.claim.wins(over: current) else {
      throw RelayError(.permissionDenied, "a region may only hand over the users homed in it")
    }
    // The last part of a larger transfer: the whole, with the parts kept aside before it.
    let plan =
      plan.transfer.parts > 1
      ? try plan.assembled(with: await Self.stagedParts(of: plan, db), rules: rules) : plan
    _ = try await Self.applyHome(plan.claim, db)
    let devices = plan.transfer.devices
    try await db.run(
      """
      INSERT INTO users (address, created_at_ms) VALUES (\(u), \(devices.map(\.registeredAtMs).min() ?? 0))
      ON CONFLICT DO NOTHING
      """)
    // What this region kept of the user before: a remote user's devices, keys, a lost registration's rows.
    for table in [
      "one_time_prekeys", "push_endpoints", "mailbox", "link_codes", "devices", "remote_devices", "region_devices",
      "move_covers", "move_drains", "held_copies", "transfer_parts",
    ] {
      try await db.run("DELETE FROM \(unescaped: table) WHERE user_address = \(u)")
    }
    var doorbells = [Doorbell]()
    for device in devices {
      let address = try DeviceAddress.stored(user: u, device: device.deviceID)
      try await db.run(
        """
        INSERT INTO devices (user_address, device_id, fingerprint, registered_at_ms, identity_signing,
          identity_agreement, signed_prekey_id, signed_prekey, signed_prekey_sig, kem_last_resort_id, kem_last_resort,
          kem_last_resort_sig, mailbox_head, acked_cursor)
        VALUES (\(u), \(device.deviceID), \(device.fingerprint), \(device.registeredAtMs), \(device.identity.signingKey),
          \(device.identity.agreementKey), \(Int64(device.signedPrekey.keyID)), \(device.signedPrekey.publicKey),
          \(device.signedPrekey.signature), \(Int64(device.kemLastResort.keyID)), \(device.kemLastResort.publicKey),
          \(device.kemLastResort.signature), \(try Int64(wire: device.mailboxHead, field: "mailbox_head")),
          \(try Int64(wire: device.ackedCursor, field: "acked_cursor")))
        """)
      try await Self.insertOneTimePrekeys(db, device: address, ec: device.oneTimePrekeys, kem: device.kemPrekeys)
      if device.hasPush {
        try await db.run(
          """
          INSERT INTO push_endpoints (user_address, device_id, kind, token, secret)
          VALUES (\(u), \(device.deviceID), \(Int16(device.push.kind.rawValue)), \(device.push.token), \(device.push.secret))
          """)
      }
      if device.mailboxHead > device.ackedCursor {
        doorbells.append(Doorbell(device: address, cursor: device.mailboxHead))
      }
    }
    for conversation in plan.conversations {
      try await Self.applyConversation(conversation.state, members: conversation.members, localDomain: nil, db)
    }
    var placed = [String: (seq: Int64, message: Relay_V1_ReplicatedMessage)]()
    for message in plan.messages {
      let seq = try await Self.place(message.wire, sender: message.sender, db)
      _ = try await Self.insertCopies(message.copies, message.wire.conversationID, seq, db)
      placed["\(message.wire.conversationID) \(message.wire.originRelay) \(message.wire.originSeq)"] = (
        seq, message.wire
      )
    }
    var rows = MailboxRows(capacity: plan.transfer.entries.count)
    for entry in plan.transfer.entries {
      guard let (seq, message) = placed["\(entry.conversationID) \(entry.originRelay) \(entry.originSeq)"] else {
        throw RelayError(.invalidArgument, "a transferred entry names a message the transfer lacks")
      }
      let device = try DeviceAddress.stored(user: u, device: entry.deviceID)
      var mailboxEntry = entry.mailboxEntry(seq: UInt64(seq))
      if entry.receiptStatus == .unspecified {
        mailboxEntry.envelope.messageID = message.messageID
        mailboxEntry.envelope.sender = message.sender
        mailboxEntry.envelope.hlc = message.hlc
        mailboxEntry.envelope.originRelay = message.originRelay
        mailboxEntry.envelope.originSeq = message.originSeq
        mailboxEntry.envelope.sentAtMs = message.sentAtMs
        mailboxEntry.envelope.ciphertext =
          message.copies.first { $0.device == device.description }?.ciphertext ?? Data()
      } else {
        mailboxEntry.receipt.messageID = message.messageID
      }
      _ = try rows.append(mailboxEntry, for: device, cursor: entry.cursor)
    }
    try await rows.insert(db)
    for cover in plan.transfer.covers {
      try await db.run(
        """
        INSERT INTO move_covers (user_address, conversation_id, origin_relay, contiguous_seq)
        VALUES (\(u), \(cover.conversationID), \(cover.originRelay),
          \(try Int64(wire: cover.contiguousSeq, field: "contiguous_seq")))
        ON CONFLICT (user_address, conversation_id, origin_relay)
          DO UPDATE SET contiguous_seq = greatest(move_covers.contiguous_seq, excluded.contiguous_seq)
        """)
    }
    let nowMs = HybridLogicalClock.systemMilliseconds()
    try await Self.record(
      UserMove(
        user: user, version: plan.claim.version, source: plan.source, target: region.name, phase: .arrived,
        requestedAtMs: nowMs, doneAtMs: nowMs), db)
    for sibling in region.siblingRelays { try await Self.enqueue(plan.claim.event, for: sibling, db) }
    try await Self.startDrains(plan, region: region, db)
    return doorbells
  }

  /// A transferred message's local sequence number here: found, or placed
  /// now (with no copy and no mailbox entry: the transfer writes those).
  private static func place(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, _ db: PostgresConnection
  ) async throws -> Int64 {
    let id = message.conversationID
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    guard try await !db.rows("SELECT 1 FROM conversations WHERE id = \(id) FOR UPDATE").isEmpty else {
      throw RelayError(.failedPrecondition, "a transferred message names a conversation the transfer lacks")
    }
    let held = try await db.rows(
      """
      SELECT seq FROM messages WHERE conversation_id = \(id) AND origin_relay = \(message.originRelay)
        AND origin_seq = \(originSeq)
      """)
    if let row = held.first { return try row.decode(Int64.self) }
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: id, copies: [],
      originRelay: message.originRelay)
    let rows = try await db.rows(
      SendStatement(send: send, hlc: message.hlc, nowMs: message.sentAtMs, originSeq: originSeq))
    guard let first = rows.first else {
      throw RelayError(.invalidArgument, "a transferred message reuses another message's id")
    }
    try await Self.advanceVector(db, conversation: id, origin: message.originRelay, seq: originSeq)
    return first.seq
  }

  /// Writes the copies not here yet; returns those written.
  static func insertCopies(
    _ copies: [SendCommand.Copy], _ conversation: String, _ seq: Int64, _ db: PostgresConnection
  ) async throws -> Set<DeviceAddress> {
    guard !copies.isEmpty else { return [] }
    return Set(
      try await db.rows(
        """
        INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext)
        SELECT \(conversation), \(seq), u, d, x
        FROM unnest(\(copies.map(\.device.user.description))::text[], \(copies.map(\.device.deviceID))::text[],
          \(copies.map { ByteBuffer(bytes: $0.ciphertext) })::bytea[]) AS t(u, d, x)
        ON CONFLICT DO NOTHING RETURNING recipient_user, recipient_device
        """
      ).map { row in
        let (user, device) = try row.decode((String, String).self)
        return try DeviceAddress.stored(user: user, device: device)
      })
  }
}
