internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

/// Mailbox rows on their way into PostgreSQL, column by column, so that any
/// number of them is one `INSERT … SELECT FROM unnest(…)`; and back out, a
/// row to a wire entry.
struct MailboxRows {
  private var users = [String](), devices = [String](), cursors = [Int64](), kinds = [Int16]()
  private var conversations = [String](), seqs = [Int64](), messageIDs = [String](), senders = [String]()
  private var senderUsers = [String](), hlcs = [Int64](), originRelays = [String](), originSeqs = [Int64]()
  private var sentAts = [Int64](), ciphertexts = [ByteBuffer](), statuses = [Int16](), bys = [String]()
  private var receiptAts = [Int64]()

  init(capacity: Int) {
    self.users.reserveCapacity(capacity)
  }

  var isEmpty: Bool { self.users.isEmpty }

  /// Adds `entry` for `device` at `cursor`; returns the entry with its cursor set.
  mutating func append(
    _ entry: Relay_V1_MailboxEntry, for device: DeviceAddress, cursor: UInt64
  ) throws(RelayError) -> Relay_V1_MailboxEntry {
    var entry = entry
    // Checked before anything is appended, so a refused entry leaves the columns aligned.
    let storedCursor = try Int64(wire: cursor, field: "cursor")
    let seq: UInt64 =
      switch entry.entry {
      case .envelope(let envelope): envelope.seq
      case .receipt(let receipt): receipt.seq
      case nil: 0
      }
    let storedSeq = try Int64(wire: seq, field: "seq")
    let storedOriginSeq = try Int64(wire: entry.envelope.originSeq, field: "origin_seq")
    self.users.append(device.user.description)
    self.devices.append(device.deviceID)
    self.cursors.append(storedCursor)
    switch entry.entry {
    case .envelope(var envelope):
      envelope.cursor = cursor
      self.kinds.append(0)
      self.conversations.append(envelope.conversationID)
      self.seqs.append(storedSeq)
      self.messageIDs.append(envelope.messageID)
      self.senders.append(envelope.sender)
      self.senderUsers.append(String(envelope.sender.prefix { $0 != "/" }))
      self.hlcs.append(Int64(bitPattern: envelope.hlc))
      self.originRelays.append(envelope.originRelay)
      self.originSeqs.append(storedOriginSeq)
      self.sentAts.append(envelope.sentAtMs)
      self.ciphertexts.append(ByteBuffer(bytes: envelope.ciphertext))
      self.statuses.append(0)
      self.bys.append("")
      self.receiptAts.append(0)
      entry.envelope = envelope
    case .receipt(var receipt):
      receipt.cursor = cursor
      self.kinds.append(1)
      self.conversations.append(receipt.conversationID)
      self.seqs.append(storedSeq)
      self.messageIDs.append(receipt.messageID)
      self.senders.append("")
      self.senderUsers.append("")
      self.hlcs.append(0)
      self.originRelays.append("")
      self.originSeqs.append(0)
      self.sentAts.append(0)
      self.ciphertexts.append(ByteBuffer())
      self.statuses.append(Int16(receipt.status.rawValue))
      self.bys.append(receipt.by)
      self.receiptAts.append(receipt.atMs)
      entry.receipt = receipt
    case nil:
      throw RelayError(.internal, "an empty mailbox entry")
    }
    return entry
  }

  func insert(_ db: PostgresConnection) async throws {
    guard !self.isEmpty else { return }
    try await db.run(
      """
      INSERT INTO mailbox (user_address, device_id, cursor, kind, conversation_id, seq, message_id, sender, sender_user,
        hlc, origin_relay, origin_seq, sent_at_ms, ciphertext, receipt_status, receipt_by, receipt_at_ms)
      SELECT u, d, c, k, cv, s, m, sd, su, h, o, os, sa, NULLIF(x, ''::bytea), st, b, ra
      FROM unnest(\(self.users)::text[], \(self.devices)::text[], \(self.cursors)::bigint[], \(self.kinds)::smallint[],
        \(self.conversations)::text[], \(self.seqs)::bigint[], \(self.messageIDs)::text[], \(self.senders)::text[],
        \(self.senderUsers)::text[], \(self.hlcs)::bigint[], \(self.originRelays)::text[], \(self.originSeqs)::bigint[],
        \(self.sentAts)::bigint[], \(self.ciphertexts)::bytea[], \(self.statuses)::smallint[], \(self.bys)::text[],
        \(self.receiptAts)::bigint[])
        AS t(u, d, c, k, cv, s, m, sd, su, h, o, os, sa, x, st, b, ra)
      """)
  }

  /// A row of `cursor, kind, conversation_id, seq, message_id, sender, hlc,
  /// origin_relay, origin_seq, sent_at_ms, ciphertext, receipt_status,
  /// receipt_by, receipt_at_ms` as the entry a device is sent.
  static func entry(_ row: PostgresRow) throws -> Relay_V1_MailboxEntry {
    let cells = row.makeRandomAccess()
    let cursor = UInt64(try cells[0].decode(Int64.self))
    var entry = Relay_V1_MailboxEntry()
    if try cells[1].decode(Int16.self) == 0 {
      var envelope = Relay_V1_Envelope()
      envelope.cursor = cursor
      envelope.conversationID = try cells[2].decode(String.self)
      envelope.seq = UInt64(try cells[3].decode(Int64.self))
      envelope.messageID = try cells[4].decode(String.self)
      envelope.sender = try cells[5].decode(String.self)
      envelope.hlc = UInt64(bitPattern: try cells[6].decode(Int64.self))
      envelope.originRelay = try cells[7].decode(String.self)
      envelope.originSeq = UInt64(try cells[8].decode(Int64.self))
      envelope.sentAtMs = try cells[9].decode(Int64.self)
      envelope.ciphertext = try cells[10].decode(Data?.self) ?? Data()
      entry.envelope = envelope
    } else {
      var receipt = Relay_V1_Receipt()
      receipt.cursor = cursor
      receipt.conversationID = try cells[2].decode(String.self)
      receipt.seq = UInt64(try cells[3].decode(Int64.self))
      receipt.messageID = try cells[4].decode(String.self)
      receipt.status = Relay_V1_ReceiptStatus(rawValue: Int(try cells[11].decode(Int16.self))) ?? .unspecified
      receipt.by = try cells[12].decode(String.self)
      receipt.atMs = try cells[13].decode(Int64.self)
      entry.receipt = receipt
    }
    return entry
  }
}
