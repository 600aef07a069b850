public import RelayCore
public import Wire

/// What a device may say on its `Connect` stream (and in a unary `Send`):
/// each client frame checked into a ``Command`` before any work is done —
/// ids and addresses parsed, sizes within the limits, 64-bit values within
/// what the stores hold. Backend-free, like ``FederationRules``, so it is
/// also what the fuzzer drives (`relay-fuzz client-frame`).
public struct ClientFrameRules: Sendable {
  /// This relay's ``RelayID``: the origin of the messages its devices send.
  public var relay: String
  public var maxCopiesPerSend: Int
  public var maxEnvelopeBytes: Int
  /// Users one `presence` frame may name: each is checked against the
  /// caller's conversations, so the list is bounded like a group.
  public var maxPresenceUsers: Int

  public init(relay: String, maxCopiesPerSend: Int, maxEnvelopeBytes: Int, maxPresenceUsers: Int = 1000) {
    self.relay = relay
    self.maxCopiesPerSend = maxCopiesPerSend
    self.maxEnvelopeBytes = maxEnvelopeBytes
    self.maxPresenceUsers = maxPresenceUsers
  }

  public init(_ configuration: RelayConfiguration) {
    self.init(
      relay: configuration.relayID, maxCopiesPerSend: configuration.limits.maxCopiesPerSend,
      maxEnvelopeBytes: configuration.limits.maxEnvelopeBytes, maxPresenceUsers: configuration.limits.maxGroupMembers)
  }

  /// A checked client frame.
  public enum Command: Sendable {
    case send(SendCommand)
    case ack(cursor: UInt64)
    case read(conversationID: String, upToSeq: UInt64)
    case typing(conversationID: String, typing: Bool)
    case presence(users: [UserAddress], unsubscribe: Bool)
    case heartbeat(clientTimeMs: Int64)
  }

  public func check(_ frame: Relay_V1_ClientFrame, from device: DeviceAddress) throws(RelayError) -> Command {
    switch frame.frame {
    case .send(let send):
      return .send(try self.send(send, from: device))
    case .ack(let ack):
      _ = try Int64(wire: ack.cursor, field: "ack cursor")
      return .ack(cursor: ack.cursor)
    case .read(let read):
      let id = try RequestValidation.conversationID(read.conversationID)
      _ = try Int64(wire: read.upToSeq, field: "read up_to_seq")
      return .read(conversationID: id, upToSeq: read.upToSeq)
    case .typing(let typing):
      return .typing(conversationID: try RequestValidation.conversationID(typing.conversationID), typing: typing.typing)
    case .presence(let subscribe):
      guard subscribe.users.count <= self.maxPresenceUsers else {
        throw RelayError(.resourceExhausted, "a presence frame may name at most \(self.maxPresenceUsers) users")
      }
      var users = [UserAddress]()
      users.reserveCapacity(subscribe.users.count)
      for (index, text) in subscribe.users.enumerated() {
        users.append(try RequestValidation.user(text, field: "presence.users[\(index)]"))
      }
      return .presence(users: users, unsubscribe: subscribe.unsubscribe)
    case .heartbeat(let heartbeat):
      return .heartbeat(clientTimeMs: heartbeat.clientTimeMs)
    case nil:
      throw RelayError(.invalidArgument, "a client frame must set one of its frame fields")
    }
  }

  /// A send checked against the limits: its ids, and one ciphertext within
  /// the size limit per distinct device.
  public func send(_ request: Relay_V1_SendRequest, from sender: DeviceAddress) throws(RelayError) -> SendCommand {
    let messageID = try RequestValidation.messageID(request.messageID)
    let conversationID = try RequestValidation.conversationID(request.conversationID)
    guard !request.copies.isEmpty else {
      throw RelayError(.invalidArgument, "copies must hold one ciphertext per recipient device")
    }
    guard request.copies.count <= self.maxCopiesPerSend else {
      throw RelayError(.resourceExhausted, "a send may carry at most \(self.maxCopiesPerSend) ciphertexts")
    }
    var copies = [SendCommand.Copy]()
    copies.reserveCapacity(request.copies.count)
    var seen = Set<DeviceAddress>()
    for (index, copy) in request.copies.enumerated() {
      let device = try RequestValidation.device(copy.device, field: "copies[\(index)].device")
      guard seen.insert(device).inserted else {
        throw RelayError(.invalidArgument, "copies[\(index)] addresses a device a second time")
      }
      guard copy.ciphertext.count <= self.maxEnvelopeBytes else {
        throw RelayError(
          .resourceExhausted, "copies[\(index)].ciphertext is over the \(self.maxEnvelopeBytes)-byte limit")
      }
      guard !copy.ciphertext.isEmpty else {
        throw RelayError(.invalidArgument, "copies[\(index)].ciphertext is empty")
      }
      copies.append(SendCommand.Copy(device: device, ciphertext: copy.ciphertext))
    }
    return SendCommand(
      sender: sender, messageID: messageID, conversationID: conversationID, copies: copies,
      originRelay: self.relay)
  }
}
