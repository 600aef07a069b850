internal import E2E
internal import Foundation
internal import GRDB
internal import GRPCCore
internal import GRPCProtobuf
internal import SwiftProtobuf
internal import Wire

extension RelayDevice {
  /// Encrypts `text` for every device of every member of the conversation
  /// (this user's other devices included) and sends it; the stored message
  /// with its sequence number.
  ///
  /// When the relay answers that the device list was out of date, the lists
  /// of the users concerned are fetched again and the send is retried.
  /// Without a `messageID`, a time-ordered one (UUIDv7) is made.
  public func send(
    _ text: String, to conversationID: String, messageID: String? = nil
  ) async throws(ClientError) -> StoredMessage {
    try await self.send(.text(text), to: conversationID, messageID: messageID)
  }

  /// Sends a message that carries an uploaded attachment (``uploadAttachment(_:contentType:fileName:progress:)``):
  /// its id and key travel sealed, like a text.
  public func send(
    _ attachment: AttachmentReference, to conversationID: String, messageID: String? = nil
  ) async throws(ClientError) -> StoredMessage {
    try await self.send(.attachment(attachment.pointer), to: conversationID, messageID: messageID)
  }

  private func send(
    _ body: Relay_V1_Content.OneOf_Body, to conversationID: String, messageID: String?
  ) async throws(ClientError) -> StoredMessage {
    let members = try await self.conversation(conversationID).members.map(\.user)
    let sentAt = Int64(Date().timeIntervalSince1970 * 1000)
    let messageID = messageID ?? MessageID.timeOrdered(unixMilliseconds: UInt64(sentAt)).text
    let content = Relay_V1_Content.with {
      $0.body = body
      $0.sentAtMs = sentAt
    }
    let plaintext: Data = try! content.serializedBytes()
    var stale = Set<String>()
    for attempt in 1 ... self.configuration.sendAttempts {
      var recipients = [String]()
      for user in members {
        var devices = stale.contains(user) ? nil : try self.database.knownDevices(of: user)
        if devices == nil { devices = try await self.devices(of: user) }
        recipients += (devices ?? [:]).keys.filter { $0 != self.address }.sorted()
      }
      let request = Relay_V1_SendRequest.with {
        $0.messageID = messageID
        $0.conversationID = conversationID
      }
      var sealed = request
      sealed.copies = try await self.seal(plaintext, for: recipients)
      do {
        let result = try await self.relay.send(sealed)
        var message = StoredMessage(
          messageID: result.messageID, conversationID: conversationID, sender: self.address, text: content.text,
          sentAtMs: sentAt, seq: result.seq, outgoing: true, status: .sent, hlc: result.hlc,
          originRelay: result.originRelay, originSeq: result.originSeq)
        if case .attachment(let pointer) = body { message.attachment = AttachmentReference(pointer) }
        try self.database.store(message)
        return message
      } catch let error as RPCError where error.code == .failedPrecondition && attempt < self.configuration.sendAttempts
      {
        stale = Self.usersOfMismatchedDevices(error)
        if stale.isEmpty { throw ClientError(.relayRefused, "sending: \(error.message)", cause: error) }
      } catch {
        throw ClientError(.relayRefused, "sending failed", cause: error)
      }
    }
    throw ClientError(.relayRefused, "sending: the device lists kept changing")
  }

  /// One sealed copy per device, opening a session (from a prekey bundle)
  /// with any device this one has none with.
  ///
  /// Each session is read, advanced and saved in one write transaction, so a
  /// concurrent send or receive on this device (which writes the same rows)
  /// waits for it and starts from the advanced state: no message key is
  /// derived twice. Only the prekey bundles are fetched (over the network)
  /// before the transaction; a session another send opened meanwhile is used
  /// instead of the new one.
  func seal(_ plaintext: Data, for devices: [String]) async throws(ClientError) -> [Relay_V1_SealedCopy] {
    let sessionless = try self.database.read("sessions") { db in
      try devices.filter { try DeviceDatabase.sessions(with: $0, db).current == nil }
    }
    var opened = [String: Session]()
    for device in sessionless { opened[device] = try await self.openSession(with: device) }
    let copies = try self.database.write("sessions") { db in
      try devices.map { device in
        var sessions = try DeviceDatabase.sessions(with: device, db)
        if sessions.current == nil, let session = opened[device] { sessions.insert(session) }
        let ciphertext: Data
        do {
          ciphertext = try sessions.seal(plaintext)
        } catch {
          throw ClientError(.crypto, "sealing for \(device) failed", cause: error)
        }
        try DeviceDatabase.save(sessions, with: device, db)
        return Relay_V1_SealedCopy.with {
          $0.device = device
          $0.ciphertext = ciphertext
        }
      }
    }
    if let observe = self.configuration.sealed {
      for copy in copies { observe(copy.device, copy.ciphertext) }
    }
    return copies
  }

  /// Claims the device's prekey bundle and runs PQXDH with it.
  func openSession(with device: String) async throws(ClientError) -> Session {
    let parts = device.split(separator: "/", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw ClientError(.invalidArgument, "\(device) is not user@domain/device") }
    let response = try await Self.call("fetching the prekey bundle of \(device)") {
      try await self.relay.getPrekeyBundle(
        .with {
          $0.user = parts[0]
          $0.deviceID = parts[1]
        })
    }
    guard let bundle = response.bundles.first(where: { $0.device == device }) else {
      throw ClientError(.relayRefused, "the relay returned no prekey bundle for \(device)")
    }
    do {
      return try Session.initiate(identity: self.local.identity, bundle: PrekeyBundle(bundle))
    } catch {
      throw ClientError(.crypto, "the prekey bundle of \(device) does not check out", cause: error)
    }
  }

  /// The users whose devices a FAILED_PRECONDITION send named as missing or stale.
  static func usersOfMismatchedDevices(_ error: RPCError) -> Set<String> {
    guard let status = try? error.unpackGoogleRPCStatus() else { return [] }
    let subjects = status.details.compactMap(\.preconditionFailure).flatMap(\.violations).map(\.subject)
    return Set(subjects.compactMap { $0.split(separator: "/", maxSplits: 1).first.map(String.init) })
  }
}
