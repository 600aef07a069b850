internal import Foundation
internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  public func apply(
    _ events: [Relay_V1_OutboxEvent], from peer: String, rules: FederationRules
  ) async throws -> ReplicationOutcome {
    try await self.transaction("applying a peer's events") { db in
      var outcome = ReplicationOutcome()
      for entry in events {
        // Each event in a savepoint: a refused one writes nothing and the batch goes on.
        try await db.run("SAVEPOINT event")
        do {
          guard let doorbells = try await Self.applyOne(entry.event, from: peer, rules: rules, db) else {
            try await db.run("ROLLBACK TO SAVEPOINT event")
            outcome.deferred = true
            break
          }
          try await db.run("RELEASE SAVEPOINT event")
          outcome.doorbells += doorbells
        } catch let error as RelayError {
          try await db.run("ROLLBACK TO SAVEPOINT event")
          outcome.rejected.append(error)
        }
        outcome.throughID = entry.id
      }
      return outcome
    }
  }

  /// One event; nil when it cannot apply yet. Throws ``RelayError`` for an invalid one.
  private static func applyOne(
    _ event: Relay_V1_FederationEvent, from peer: String, rules: FederationRules, _ db: PostgresConnection
  ) async throws -> [Doorbell]? {
    switch event.event {
    case .message(let message):
      let (sender, copies) = try rules.check(message, from: peer)
      return try await Self.applyMessage(message, sender: sender, copies: copies, db)
    case .receipt(let receipt):
      let (sender, by) = try rules.check(receipt, from: peer)
      return try await Self.applyReceipt(receipt, sender: sender, by: by, db)
    case .conversation(let state):
      let members = try rules.check(state, from: peer)
      try await Self.applyConversation(state, members: members, localDomain: rules.localDomain, db)
      return []
    case .deviceList(let list):
      let user = try rules.check(list, from: peer)
      try await Self.applyDeviceList(list, user: user, db)
      return []
    case nil:
      throw RelayError(.invalidArgument, "an empty federation event")
    }
  }

  /// A message from its origin relay: written as a local send is (the one
  /// send statement), keeping its origin's sequence, time and clock.
  private static func applyMessage(
    _ message: Relay_V1_ReplicatedMessage, sender: DeviceAddress, copies: [SendCommand.Copy],
    _ db: PostgresConnection
  ) async throws -> [Doorbell]? {
    let id = message.conversationID
    guard try await !db.rows("SELECT 1 FROM conversations WHERE id = \(id) FOR UPDATE").isEmpty else { return nil }
    let origin = message.originRelay
    let originSeq = try Int64(wire: message.originSeq, field: "origin_seq")
    if try await !db.rows(
      "SELECT 1 FROM messages WHERE conversation_id = \(id) AND origin_relay = \(origin) AND origin_seq = \(originSeq)"
    ).isEmpty {
      return []  // applied before: a redelivery
    }
    guard
      try await !db.rows(
        "SELECT 1 FROM members WHERE conversation_id = \(id) AND user_address = \(sender.user.description)"
      ).isEmpty
    else { throw RelayError(.permissionDenied, "the sender is not a member of this conversation here") }
    // A copy for a device this relay does not know (any more) is dropped.
    let known = Set(
      try await db.rows(
        """
        SELECT user_address, device_id FROM devices
        WHERE (user_address, device_id) IN (
          SELECT * FROM unnest(\(copies.map(\.device.user.description))::text[], \(copies.map(\.device.deviceID))::text[]))
        """
      ).map { row in
        let (user, device) = try row.decode((String, String).self)
        return try DeviceAddress.stored(user: user, device: device)
      })
    let send = SendCommand(
      sender: sender, messageID: try MessageID(parsing: message.messageID), conversationID: id,
      copies: copies.filter { known.contains($0.device) }, originRelay: origin)
    try await Self.lockDevices(db, send.copies.map(\.device))
    let rows = try await db.rows(
      SendStatement(send: send, hlc: message.hlc, nowMs: message.sentAtMs, originSeq: originSeq))
    guard let first = rows.first else { return [] }  // the (sender, message id) key exists: applied before
    try await Self.advanceVector(db, conversation: id, origin: origin, seq: originSeq)
    let placed = PlacedMessage(
      seq: UInt64(first.seq), originSeq: message.originSeq, hlc: message.hlc, sentAtMs: message.sentAtMs)
    var ciphertexts = [DeviceAddress: Data]()
    for copy in send.copies { ciphertexts[copy.device] = copy.ciphertext }
    var entry = send.envelopeEntry(placed)
    return try rows.compactMap { row in
      guard let user = row.user, let deviceID = row.device, let head = row.head else { return nil }
      let device = try DeviceAddress.stored(user: user, device: deviceID)
      entry.envelope.ciphertext = ciphertexts[device] ?? Data()
      entry.envelope.cursor = UInt64(head)
      return Doorbell(device: device, cursor: UInt64(head), entry: entry)
    }
  }

  /// Moves the (conversation, origin) vector past `seq` and every later message already here.
  private static func advanceVector(
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
    // The first origin sequence above `seq` that is missing, minus one.
    let next = try await db.rows(
      """
      SELECT coalesce(min(s) - 1, \(seq)) FROM generate_series(\(seq) + 1, \(seq) + 1 + (
        SELECT count(*) FROM messages WHERE conversation_id = \(conversation) AND origin_relay = \(origin)
          AND origin_seq > \(seq))) AS s
      WHERE NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = \(conversation) AND origin_relay = \(origin)
        AND origin_seq = s)
      """
    )[0].decode(Int64.self)
    try await db.run(
      """
      INSERT INTO version_vectors (conversation_id, origin_relay, contiguous_seq) VALUES (\(conversation), \(origin), \(next))
      ON CONFLICT (conversation_id, origin_relay) DO UPDATE SET contiguous_seq = excluded.contiguous_seq
      """)
  }

  private static func applyReceipt(
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
