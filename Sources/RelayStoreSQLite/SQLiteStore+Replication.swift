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
                event, from: peer, localDomain: localDomain, gateway: forwarding.map { _ in rules.localDomain }, db)
            }
            switch result {
            case .applied, .rehomed: return .commit
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
    _ event: PeerEvent, from peer: String, localDomain: String?, gateway: String?, _ db: Database
  ) throws -> ReplicationOutcome.EventResult {
    switch event {
    case .message(let message, let sender, let copies):
      try Self.checkHomed(sender.user, in: peer, db)
      return try Self.applyMessage(message, sender: sender, copies: copies, gateway: gateway, db)
    case .receipt(let receipt, let sender, let by):
      try Self.checkHomed(by.user, in: peer, db)
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
      return try Self.applyHome(claim, db) ? .rehomed(claim) : .applied([])
    }
  }

  private static func applyMessage(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy], gateway: String?,
    _ db: Database
  ) throws -> ReplicationOutcome.EventResult {
    let id = message.conversationID
    guard
      let conversation = try db.cachedStatement(
        sql: "SELECT last_seq, last_activity_ms FROM conversations WHERE id = ?"
      )
      .fetchOneRow(arguments: [id])
    else { return .deferred }
    let origin = message.originRelay
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    if try db.cachedStatement(
      sql: "SELECT 1 FROM messages WHERE conversation_id = ? AND origin_relay = ? AND origin_seq = ?"
    ).fetchOneRow(arguments: [id, origin, originSeq]) != nil {
      return .applied([])  // applied before: a redelivery
    }
    guard
      try db.cachedStatement(sql: "SELECT 1 FROM members WHERE conversation_id = ? AND user_address = ?")
        .fetchOneRow(arguments: [id, sender.user.description]) != nil
    else { throw RelayError(.permissionDenied, "the sender is not a member of this conversation here") }
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
    let placed = PlacedMessage(
      seq: UInt64(seq), originSeq: message.originSeq, hlc: message.hlc, sentAtMs: message.sentAtMs)
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: id, copies: copies,
      originRelay: origin)
    var entry = send.envelopeEntry(placed)
    let insertCopy = try db.cachedStatement(
      sql:
        "INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext) VALUES (?, ?, ?, ?, ?)"
    )
    var doorbells = [Doorbell]()
    for copy in copies {
      // A copy for a device this relay does not know (any more) is dropped;
      // one the gateway passes on to another domain is kept, with no mailbox entry.
      guard
        try db.cachedStatement(sql: "SELECT 1 FROM devices WHERE user_address = ? AND device_id = ?")
          .fetchOneRow(arguments: [copy.device.user.description, copy.device.deviceID]) != nil
      else {
        if let gateway, copy.device.user.domain != gateway {
          try insertCopy.execute(arguments: [
            id, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext,
          ])
        }
        continue
      }
      try insertCopy.execute(arguments: [id, seq, copy.device.user.description, copy.device.deviceID, copy.ciphertext])
      entry.envelope.ciphertext = copy.ciphertext
      doorbells.append(try Self.appendToMailbox(db, device: copy.device, entry: entry))
    }
    return .applied(doorbells)
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

  private static func applyReceipt(
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
