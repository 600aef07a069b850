internal import E2E
internal import Foundation
internal import GRDB
internal import SwiftProtobuf
internal import Wire

extension RelayDevice {
  /// What processing one mailbox entry produced.
  struct Processed {
    var event: ClientEvent?
    /// A prekey message made a new session (so one-time prekeys were used).
    var usedPrekeys = false
  }

  /// Opens, stores and dedups one mailbox entry, and records its cursor, in
  /// one transaction. An envelope that does not open is reported and dropped.
  func process(_ entry: Relay_V1_MailboxEntry) throws(ClientError) -> Processed {
    switch entry.entry {
    case .envelope(let envelope): return try self.open(envelope)
    case .receipt(let receipt): return Processed(event: try self.apply(receipt))
    case nil: return Processed()
    }
  }

  func open(_ envelope: Relay_V1_Envelope) throws(ClientError) -> Processed {
    try self.database.write("a received message") { db in
      defer { _ = try? DeviceDatabase.setCursor(envelope.cursor, db) }
      var sessions = try DeviceDatabase.sessions(with: envelope.sender, db)
      let prekeys = DatabasePrekeys(db: db)
      let opened: PeerSessions.Opened
      let content: Relay_V1_Content
      do {
        opened = try sessions.open(envelope.ciphertext, identity: self.local.identity, prekeys: prekeys)
        content = try Relay_V1_Content(serializedBytes: opened.plaintext)
        try self.checkIdentity(of: envelope.sender, sessions.current?.remoteIdentity, db)
      } catch {
        return Processed(
          event: .undecryptable(messageID: envelope.messageID, sender: envelope.sender, reason: "\(error)"))
      }
      try prekeys.erase(opened)
      try DeviceDatabase.save(sessions, with: envelope.sender, db)
      let outgoing = envelope.sender.hasPrefix(self.user + "/")
      var message = StoredMessage(
        messageID: envelope.messageID, conversationID: envelope.conversationID, sender: envelope.sender,
        text: content.text, sentAtMs: content.sentAtMs, seq: envelope.seq, outgoing: outgoing,
        status: outgoing ? .sent : .received, hlc: envelope.hlc, originRelay: envelope.originRelay,
        originSeq: envelope.originSeq)
      if case .attachment(let pointer) = content.body { message.attachment = AttachmentReference(pointer) }
      let new = try DeviceDatabase.insert(message, db)
      return Processed(event: new ? .message(message) : nil, usedPrekeys: opened.newSession)
    }
  }

  /// A sender whose identity this device already knows must keep it.
  private func checkIdentity(of device: String, _ identity: IdentityPublicKey?, _ db: Database) throws {
    guard let identity,
      let row = try Row.fetchOne(
        db, sql: "SELECT signing_key, agreement_key FROM known_devices WHERE device = ?", arguments: [device])
    else { return }
    guard IdentityPublicKey(signing: row[0], agreement: row[1]) == identity else {
      throw E2EError(
        code: .invalidKey, message: "the sender's identity key differs from the one in its directory entry")
    }
  }

  func apply(_ receipt: Relay_V1_Receipt) throws(ClientError) -> ClientEvent? {
    guard let status = MessageStatus(receipt.status) else { return nil }
    return try self.database.write("a receipt") { db in
      if receipt.cursor > 0 { try DeviceDatabase.setCursor(receipt.cursor, db) }
      _ = try DeviceDatabase.raise(
        receipt.messageID, upTo: receipt.seq, in: receipt.conversationID, to: status, db)
      return .receipt(
        messageID: receipt.messageID, conversationID: receipt.conversationID, status: status, by: receipt.by)
    }
  }
}

extension MessageStatus {
  init?(_ status: Relay_V1_ReceiptStatus) {
    switch status {
    case .sent: self = .sent
    case .delivered: self = .delivered
    case .read: self = .read
    default: return nil
    }
  }
}
