internal import Foundation
internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore {
  public func apply(
    _ events: [Relay_V1_OutboxEvent], from peer: String, rules: FederationRules
  ) async throws -> ReplicationOutcome {
    let forwarding = GatewayForwarding(rules: rules, from: peer)
    // On a region, or from one, members of the domain may be homed in another region.
    let localDomain = self.region == nil && RelayID.region(of: peer) == nil ? rules.localDomain : nil
    return try await self.write("applying a peer's events") { db in
      var outcome = ReplicationOutcome()
      for entry in events {
        // Each event in a savepoint: a refused one writes nothing and the batch goes on.
        var result = ReplicationOutcome.EventResult.deferred
        var forwarded = 0
        do {
          try db.inSavepoint {
            let event = try rules.check(entry.event, from: peer)
            let forward = try forwarding.map { try Self.forward(event, wire: entry.event, $0, db) }
            forwarded = forward?.queued ?? 0
            if forward?.appliesHere == false {
              result = .applied([])
            } else {
              result = try Self.applyOne(
                event, from: peer, localDomain: localDomain, gateway: forwarding.map { _ in rules.localDomain },
                rules: rules, db)
            }
            switch result {
            case .applied, .rehomed, .arrived: return .commit
            case .deferred, .rejected: return .rollback
            }
          }
        } catch let error as RelayError {
          result = .rejected(error)
        }
        guard outcome.record(entry.id, result, forwarded: forwarded) else { break }
      }
      return outcome
    }
  }

  /// One checked event: `applied`, or `deferred` when its conversation is not
  /// here yet. Throws ``RelayError`` for one that cannot apply.
  /// `localDomain` is nil on a region, whose domain's users may be homed in another one.
  /// `gateway`: on the domain's gateway region, its domain; copies for
  /// devices of other domains are kept there (no mailbox), so that
  /// anti-entropy can send them again.
  private static func applyOne(
    _ event: PeerEvent, from peer: String, localDomain: String?, gateway: String?, rules: FederationRules,
    _ db: Database
  ) throws -> ReplicationOutcome.EventResult {
    let region = rules.region
    switch event {
    case .message(let message, let sender, let copies):
      try Self.checkHomed(sender.user, in: peer, db)
      return try Self.applyMessage(
        message, sender: sender, copies: copies, gateway: gateway, region: region, db)
    case .receipt(let receipt, let sender, let by):
      try Self.checkHomed(by.user, in: peer, db)
      if let region, sender.user.domain == region.domain, try Self.movedAway(sender.user, region: region, db) != nil {
        try Self.forward(.receipt(receipt), of: sender.user, region: region, db)
        return .applied([])
      }
      return .applied(try Self.applyReceipt(receipt, sender: sender, by: by, db))
    case .conversation(let state, let members):
      try Self.applyConversation(state, members: members, localDomain: localDomain, db)
      return .applied([])
    case .deviceList(let list, let user):
      try Self.checkHomed(user, in: peer, db)
      try Self.applyDeviceList(list, user: user, db)
      return .applied([])
    case .regionDevices(let user, let fingerprints):
      try Self.checkHomed(user, in: peer, db)
      try Self.applyRegionDevices(user, fingerprints, db)
      return .applied([])
    case .homeClaim(let claim):
      let previous = try Self.home(of: claim.user, db)?.region
      guard try Self.applyHome(claim, db) else { return .applied([]) }
      try Self.markMove(claim, previous: previous, region: region, db)
      return .rehomed(claim)
    case .userTransfer(let plan):
      return try Self.arrive(plan, rules: rules, db).map { .arrived($0) } ?? .applied([])
    case .transferPart(let part):
      try Self.stage(part, region: region, db)
      return .applied([])
    case .moveForward(let forwarded):
      return try Self.applyForwarded(forwarded, from: peer, region: region, db)
    case .moveMarker(let marker):
      // On the old home: passed on behind what was passed on before it (dropped if the user did not move away).
      try Self.forward(.marker(marker.wire), of: marker.user, region: region, db)
      return .applied([])
    }
  }

  /// A message from a peer: placed here once (keyed by its origin
  /// position), and each copy for a device here written once, so a
  /// redelivery adds only the copies this relay lacks. A copy for a moved
  /// user's device (docs/regions.md, "Moving a user") is skipped when the
  /// user's old home held the message, and passed on to its new home when the
  /// user moved away from here, and held out of the mailbox while the region
  /// it entered the domain by owes a marker for the user (docs/regions.md,
  /// "Arrival order across a move"), whether it came from there or through
  /// the old home.
  static func applyMessage(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy], gateway: String?,
    region: LocalRegion?, _ db: Database
  ) throws -> ReplicationOutcome.EventResult {
    guard let seq = try Self.place(message, sender: sender, checkMember: true, db) else { return .deferred }
    let id = message.conversationID
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    let placed = PlacedMessage(
      seq: UInt64(seq), originSeq: message.originSeq, hlc: message.hlc, sentAtMs: message.sentAtMs)
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: id, copies: copies,
      originRelay: message.originRelay)
    var entry = send.envelopeEntry(placed)
    let holdFor = region.map { $0.entryRegion(of: message.originRelay) }
    var doorbells = [Doorbell]()
    var movedAway = [UserAddress: [SendCommand.Copy]]()
    for copy in copies {
      // A copy for a device this relay does not know (any more) is dropped;
      // one the gateway passes on to another domain is kept, with no mailbox
      // entry; one for a user who moved away is passed on.
      // The device, the moved user's cover for this message's origin, and whether it is held, in one look-up.
      guard
        let known = try db.cachedStatement(
          sql: """
            SELECT c.contiguous_seq, r.version FROM devices d
            LEFT JOIN move_covers c
              ON c.user_address = d.user_address AND c.conversation_id = ? AND c.origin_relay = ?
            LEFT JOIN move_drains r ON r.user_address = d.user_address AND r.region = ?
            WHERE d.user_address = ? AND d.device_id = ?
            """
        ).fetchOneRow(arguments: [
          id, message.originRelay, holdFor ?? "", copy.device.user.description, copy.device.deviceID,
        ])
      else {
        if let gateway, copy.device.user.domain != gateway {
          _ = try Self.insertCopy(copy, id, seq, db)
        } else if let region, copy.device.user.domain == region.domain,
          try Self.movedAway(copy.device.user, region: region, db) != nil
        {
          movedAway[copy.device.user, default: []].append(copy)
        }
        continue
      }
      // A moved user's old home held this message for it: not given again.
      if let cover = known[0] as Int64?, originSeq <= cover { continue }
      guard try Self.insertCopy(copy, id, seq, db) else { continue }
      if let holdFor, known[1] as Int64? != nil {
        try Self.hold(copy.device, id, seq, region: holdFor, db)
        continue
      }
      entry.envelope.ciphertext = copy.ciphertext
      doorbells.append(try Self.appendToMailbox(db, device: copy.device, entry: entry))
    }
    for (user, copies) in movedAway {
      var forwarded = message
      forwarded.copies = copies.map(\.sealed)
      try Self.forward(.message(forwarded), of: user, region: region, db)
    }
    return .applied(doorbells)
  }

  /// A message's local sequence number here: found (a redelivery) or placed
  /// now; nil when its conversation is not here yet.
  static func place(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, checkMember: Bool, _ db: Database
  ) throws -> Int64? {
    let id = message.conversationID
    guard
      let conversation = try db.cachedStatement(
        sql: "SELECT last_seq, last_activity_ms FROM conversations WHERE id = ?"
      )
      .fetchOneRow(arguments: [id])
    else { return nil }
    let origin = message.originRelay
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    if let held = try db.cachedStatement(
      sql: "SELECT seq FROM messages WHERE conversation_id = ? AND origin_relay = ? AND origin_seq = ?"
    ).fetchOneRow(arguments: [id, origin, originSeq]) {
      return held[0]
    }
    if checkMember {
      guard
        try db.cachedStatement(sql: "SELECT 1 FROM members WHERE conversation_id = ? AND user_address = ?")
          .fetchOneRow(arguments: [id, sender.user.description]) != nil
      else { throw RelayError(.permissionDenied, "the sender is not a member of this conversation here") }
    }
    let seq: Int64 = conversation[0] + 1
    try db.cachedStatement(
      sql: "UPDATE conversations SET last_seq = ?, last_activity_ms = max(last_activity_ms, ?) WHERE id = ?"
    ).execute(arguments: [seq, message.sentAtMs, id])
    try db.cachedStatement(
      sql: """
        INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay, origin_seq, sent_at_ms)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(arguments: [
      id, seq, message.messageID, sender.user.description, sender.deviceID, Int64(bitPattern: message.hlc), origin,
      originSeq, message.sentAtMs,
    ])
    try Self.advanceVector(db, conversation: id, origin: origin, seq: originSeq)
    return seq
  }

  /// Writes a copy unless it is here already; true when written.
  static func insertCopy(_ copy: SendCommand.Copy, _ conversation: String, _ seq: Int64, _ db: Database) throws -> Bool
  {
    try db.cachedStatement(
      sql: """
        INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING
        """
    ).execute(arguments: [
      conversation, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext,
    ])
    return db.changesCount > 0
  }

  /// Moves the (conversation, origin) vector past `seq` and every later message already here.
  private static func advanceVector(_ db: Database, conversation: String, origin: String, seq: Int64) throws {
    let current =
      try Int64.fetchOne(
        db, sql: "SELECT contiguous_seq FROM version_vectors WHERE conversation_id = ? AND origin_relay = ?",
        arguments: [conversation, origin]) ?? 0
    guard seq == current + 1 else { return }
    let later = try Int64.fetchAll(
      db,
      sql: """
        SELECT origin_seq FROM messages WHERE conversation_id = ? AND origin_relay = ? AND origin_seq > ?
        ORDER BY origin_seq
        """,
      arguments: [conversation, origin, seq])
    guard let next = VersionVector.advanced(contiguous: current, applied: seq, laterPresent: later) else { return }
    try db.execute(
      sql: """
        INSERT INTO version_vectors (conversation_id, origin_relay, contiguous_seq) VALUES (?, ?, ?)
        ON CONFLICT (conversation_id, origin_relay) DO UPDATE SET contiguous_seq = excluded.contiguous_seq
        """,
      arguments: [conversation, origin, next])
  }

  static func applyReceipt(
    _ receipt: Relay_V1_ReplicatedReceipt, sender: DeviceAddress, by: DeviceAddress, _ db: Database
  ) throws -> [Doorbell] {
    guard
      let seq = try Int64.fetchOne(
        db,
        sql: """
          SELECT seq FROM messages
          WHERE sender_user = ? AND sender_device = ? AND message_id = ? AND conversation_id = ?
          """,
        arguments: [sender.user.description, sender.deviceID, receipt.messageID, receipt.conversationID])
    else { throw RelayError(.notFound, "a receipt for an unknown message") }
    var batch = SQLiteWriteBatch(region: nil)
    // One message, so its origin position plays no part.
    let covered = CoveredMessage(
      conversationID: receipt.conversationID, seq: seq, originSeq: 0, messageID: receipt.messageID,
      senderUser: sender.user.description, sender: sender.description)
    let doorbells = try Self.writeReceipt(
      db, covering: covered, status: receipt.status, by: by, nowMs: receipt.atMs, batch: &batch, senderIsLocal: true)
    try batch.flush(db)
    return doorbells
  }
}
