internal import Foundation
internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  public func apply(
    _ events: [Relay_V1_OutboxEvent], from peer: String, rules: FederationRules
  ) async throws -> ReplicationOutcome {
    let forwarding = GatewayForwarding(rules: rules, from: peer)
    // On a region, or from one, members of the domain may be homed in another region.
    let localDomain = self.region == nil && RelayID.region(of: peer) == nil ? rules.localDomain : nil
    return try await self.transaction("applying a peer's events") { db in
      var outcome = ReplicationOutcome()
      for entry in events {
        // Each event in a savepoint: a refused one writes nothing and the batch goes on.
        try await db.run("SAVEPOINT event")
        var result: ReplicationOutcome.EventResult
        var forwarded = 0
        do {
          let event = try rules.check(entry.event, from: peer)
          var appliesHere = true
          if let forwarding {
            (forwarded, appliesHere) = try await Self.forward(event, wire: entry.event, forwarding, db)
          }
          if !appliesHere {
            result = .applied([])
          } else {
            result = try await Self.applyOne(
              event, from: peer, localDomain: localDomain, gateway: forwarding.map { _ in rules.localDomain },
              rules: rules, db)
          }
        } catch let error as RelayError {
          result = .rejected(error)
        }
        switch result {
        case .applied, .rehomed, .arrived: try await db.run("RELEASE SAVEPOINT event")
        case .deferred, .rejected: try await db.run("ROLLBACK TO SAVEPOINT event")
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
    _ db: PostgresConnection
  ) async throws -> ReplicationOutcome.EventResult {
    let region = rules.region
    switch event {
    case .message(let message, let sender, let copies):
      try await Self.checkHomed(sender.user, in: peer, db)
      return try await Self.applyMessage(
        message, sender: sender, copies: copies, gateway: gateway, region: region, db)
    case .receipt(let receipt, let sender, let by):
      try await Self.checkHomed(by.user, in: peer, db)
      if let region, sender.user.domain == region.domain,
        try await Self.movedAway(sender.user, region: region, db) != nil
      {
        try await Self.forward(.receipt(receipt), of: sender.user, region: region, db)
        return .applied([])
      }
      return .applied(try await Self.applyReceipt(receipt, sender: sender, by: by, db))
    case .conversation(let state, let members):
      try await Self.applyConversation(state, members: members, localDomain: localDomain, db)
      return .applied([])
    case .deviceList(let list, let user):
      try await Self.checkHomed(user, in: peer, db)
      try await Self.applyDeviceList(list, user: user, db)
      return .applied([])
    case .regionDevices(let user, let fingerprints):
      try await Self.checkHomed(user, in: peer, db)
      try await Self.applyRegionDevices(user, fingerprints, db)
      return .applied([])
    case .homeClaim(let claim):
      let previous = try await Self.home(of: claim.user, lock: false, db)?.region
      guard try await Self.applyHome(claim, db) else { return .applied([]) }
      try await Self.markMove(claim, previous: previous, region: region, db)
      return .rehomed(claim)
    case .userTransfer(let plan):
      return try await Self.arrive(plan, rules: rules, db).map { .arrived($0) } ?? .applied([])
    case .transferPart(let part):
      try await Self.stage(part, region: region, db)
      return .applied([])
    case .moveForward(let forwarded):
      return try await Self.applyForwarded(forwarded, from: peer, region: region, db)
    case .moveMarker(let marker):
      // On the old home: passed on behind what was passed on before it (dropped if the user did not move away).
      try await Self.forward(.marker(marker.wire), of: marker.user, region: region, db)
      return .applied([])
    }
  }

  /// A message from its origin relay: written as a local send is (the one
  /// send statement), keeping its origin's sequence, time and clock. A
  /// redelivery adds only the copies this relay lacks. A copy for a moved
  /// user's device (docs/regions.md, "Moving a user") is skipped when the
  /// user's old home held the message, and passed on to its new home when the
  /// user moved away from here, and held out of the mailbox while the region
  /// it entered the domain by owes a marker for the user (docs/regions.md,
  /// "Arrival order across a move"), whether it came from there or through
  /// the old home.
  static func applyMessage(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy], gateway: String?,
    region: LocalRegion?, _ db: PostgresConnection
  ) async throws -> ReplicationOutcome.EventResult {
    let id = message.conversationID
    guard try await !db.rows("SELECT 1 FROM conversations WHERE id = \(id) FOR UPDATE").isEmpty else {
      return .deferred
    }
    let origin = message.originRelay
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    let holdFor = region.map { $0.entryRegion(of: origin) }
    // Locked before they are read: a hand-off of one of their users (which
    // locks them first) commits before, and its copies are passed on, or after.
    try await Self.lockDevices(db, copies.map(\.device))
    // A copy for a device this relay does not know (any more) is dropped; one
    // the gateway passes on to another domain is kept (the statement writes
    // no mailbox entry for a device not here); one for a user who moved away is passed on.
    // The devices here, each with its user's cover for this origin (a moved user's, docs/regions.md), in one query.
    var known = Set<DeviceAddress>()
    var covered = Set<UserAddress>()
    var held = Set<UserAddress>()
    for row in try await db.rows(
      """
      SELECT d.user_address, d.device_id, c.contiguous_seq, md.version FROM devices d
      LEFT JOIN move_covers c
        ON c.user_address = d.user_address AND c.conversation_id = \(id) AND c.origin_relay = \(origin)
      LEFT JOIN move_drains md ON md.user_address = d.user_address AND md.region = \(holdFor)
      WHERE (d.user_address, d.device_id) IN (
        SELECT * FROM unnest(\(copies.map(\.device.user.description))::text[], \(copies.map(\.device.deviceID))::text[]))
      """)
    {
      let (user, deviceID, cover, drain) = try row.decode((String, String, Int64?, Int64?).self)
      let device = try DeviceAddress.stored(user: user, device: deviceID)
      known.insert(device)
      if let cover, originSeq <= cover { covered.insert(device.user) }
      if drain != nil { held.insert(device.user) }
    }
    if let region {
      var movedAway = [UserAddress: [SendCommand.Copy]]()
      for copy in copies where !known.contains(copy.device) && copy.device.user.domain == region.domain {
        movedAway[copy.device.user, default: []].append(copy)
      }
      for (user, copies) in movedAway {
        var forwarded = message
        forwarded.copies = copies.map(\.sealed)
        try await Self.forward(.message(forwarded), of: user, region: region, db)
      }
    }
    let deliverable = copies.filter { copy in
      (known.contains(copy.device) && !covered.contains(copy.device.user))
        || (gateway != nil && copy.device.user.domain != gateway)
    }
    if let placed = try await db.rows(
      "SELECT seq FROM messages WHERE conversation_id = \(id) AND origin_relay = \(origin) AND origin_seq = \(originSeq)"
    ).first {
      // Applied before: a redelivery, which may carry copies this relay lacks (a moved user's).
      return .applied(
        try await Self.addCopies(
          message, sender: sender, seq: try placed.decode(Int64.self),
          copies: deliverable.filter { known.contains($0.device) }, holding: held, for: holdFor, db))
    }
    guard
      try await !db.rows(
        "SELECT 1 FROM members WHERE conversation_id = \(id) AND user_address = \(sender.user.description)"
      ).isEmpty
    else { throw RelayError(.permissionDenied, "the sender is not a member of this conversation here") }
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: id,
      copies: deliverable, originRelay: origin)
    let rows = try await db.rows(
      SendStatement(send: send, hlc: message.hlc, nowMs: message.sentAtMs, originSeq: originSeq, holdFor: holdFor))
    guard let first = rows.first else { return .applied([]) }  // the (sender, message id) key exists: applied before
    try await Self.advanceVector(db, conversation: id, origin: origin, seq: originSeq)
    let placed = PlacedMessage(
      seq: UInt64(first.seq), originSeq: message.originSeq, hlc: message.hlc, sentAtMs: message.sentAtMs)
    var ciphertexts = [DeviceAddress: Data]()
    for copy in send.copies { ciphertexts[copy.device] = copy.ciphertext }
    var entry = send.envelopeEntry(placed)
    return .applied(
      try rows.compactMap { row in
        guard let user = row.user, let deviceID = row.device, let head = row.head else { return nil }
        let device = try DeviceAddress.stored(user: user, device: deviceID)
        entry.envelope.ciphertext = ciphertexts[device] ?? Data()
        entry.envelope.cursor = UInt64(head)
        return Doorbell(device: device, cursor: UInt64(head), entry: entry)
      })
  }

  /// The copies of a message held here that this relay lacks: written, with
  /// a mailbox entry each (a held copy instead for the users in `holding`).
  private static func addCopies(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, seq: Int64, copies: [SendCommand.Copy],
    holding: Set<UserAddress>, for holdFor: String?, _ db: PostgresConnection
  ) async throws -> [Doorbell] {
    guard !copies.isEmpty else { return [] }
    var written = try await Self.insertCopies(copies, message.conversationID, seq, db)
    if let holdFor, !holding.isEmpty {
      // Locked (shared), as the send statement does: a marker ending the drain meanwhile releases these too.
      let users = Array(Set(written.map(\.user.description)))
      let stillHeld = Set(
        try await db.rows(
          """
          SELECT user_address FROM move_drains WHERE region = \(holdFor) AND user_address = ANY(\(users)::text[])
          FOR SHARE
          """
        ).map { try $0.decode(String.self) })
      let held = written.filter { stillHeld.contains($0.user.description) }
      try await Self.hold(Array(held), message.conversationID, seq, region: holdFor, db)
      written.subtract(held)
    }
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: message.conversationID,
      copies: [], originRelay: message.originRelay)
    var entry = send.envelopeEntry(
      PlacedMessage(seq: UInt64(seq), originSeq: message.originSeq, hlc: message.hlc, sentAtMs: message.sentAtMs))
    return try await Self.appendToMailboxes(
      db,
      copies.filter { written.contains($0.device) }.map { copy in
        entry.envelope.ciphertext = copy.ciphertext
        return (copy.device, entry)
      })
  }

  /// Moves the (conversation, origin) vector past `seq` and every later message already here.
  static func advanceVector(
    _ db: PostgresConnection, conversation: String, origin: String, seq: Int64
  ) async throws {
    let current =
      try await db.rows(
        """
        SELECT contiguous_seq FROM version_vectors WHERE conversation_id = \(conversation) AND origin_relay = \(origin)
        FOR UPDATE
        """
      ).first.map { try $0.decode(Int64.self) } ?? 0
    guard seq == current + 1 else { return }
    let later = try await db.rows(
      """
      SELECT origin_seq FROM messages WHERE conversation_id = \(conversation) AND origin_relay = \(origin)
        AND origin_seq > \(seq) ORDER BY origin_seq
      """
    ).map { try $0.decode(Int64.self) }
    guard let next = VersionVector.advanced(contiguous: current, applied: seq, laterPresent: later) else { return }
    try await db.run(
      """
      INSERT INTO version_vectors (conversation_id, origin_relay, contiguous_seq) VALUES (\(conversation), \(origin), \(next))
      ON CONFLICT (conversation_id, origin_relay) DO UPDATE SET contiguous_seq = excluded.contiguous_seq
      """)
  }

  static func applyReceipt(
    _ receipt: Relay_V1_ReplicatedReceipt, sender: DeviceAddress, by: DeviceAddress, _ db: PostgresConnection
  ) async throws -> [Doorbell] {
    let found = try await db.rows(
      """
      SELECT seq FROM messages WHERE conversation_id = \(receipt.conversationID)
        AND sender_user = \(sender.user.description) AND sender_device = \(sender.deviceID)
        AND message_id = \(receipt.messageID)
      """)
    guard let row = found.first else { throw RelayError(.notFound, "a receipt for an unknown message") }
    let seq = try row.decode(Int64.self)
    let devices = try await Self.devices(db, of: [sender.user.description])[sender.user.description] ?? []
    try await Self.lockDevices(db, devices)
    let entry = Relay_V1_MailboxEntry.receipt(
      conversationID: receipt.conversationID, seq: UInt64(seq), messageID: receipt.messageID, status: receipt.status,
      by: by, atMs: receipt.atMs)
    return try await Self.appendToMailboxes(db, devices.map { ($0, entry) })
  }
}
