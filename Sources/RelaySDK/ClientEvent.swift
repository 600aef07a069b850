/// What a device's session reports, in the order it happened.
public enum ClientEvent: Sendable, Equatable {
  case message(StoredMessage)
  /// A status change of a message this user sent, and of every one it sent
  /// before it in the conversation (receipts are cumulative), seen by `by` (a device address).
  case receipt(messageID: String, conversationID: String, status: MessageStatus, by: String)
  case presence(user: String, online: Bool, lastSeenMs: Int64)
  case typing(conversationID: String, user: String, typing: Bool)
  case connection(ConnectionState)
  /// An envelope that could not be opened (it is acknowledged and dropped).
  case undecryptable(messageID: String, sender: String, reason: String)
  /// The relay refused a frame on the stream.
  case relayError(code: Int, message: String)
}

public enum ConnectionState: Sendable, Equatable {
  case connecting
  /// Connected and caught up with the mailbox.
  case connected
  case disconnected(reason: String)
}

/// Outgoing messages go sent → delivered → read; an incoming one is `received`.
public enum MessageStatus: Int, Sendable, Codable, Comparable {
  case received = 0
  case sent = 1
  case delivered = 2
  case read = 3

  public static func < (lhs: MessageStatus, rhs: MessageStatus) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A message as the device keeps it.
public struct StoredMessage: Sendable, Equatable, Codable {
  public var messageID: String
  public var conversationID: String
  /// The sending device, `user@domain/device`.
  public var sender: String
  public var text: String
  public var sentAtMs: Int64
  public var seq: UInt64
  public var outgoing: Bool
  public var status: MessageStatus
  /// Where the message sorts in its conversation, as the relay orders it
  /// (hybrid logical clock, then origin relay and its sequence number): the
  /// same order on every device and relay. Zero for messages stored before
  /// the device kept it.
  public var hlc: UInt64 = 0
  public var originRelay: String = ""
  public var originSeq: UInt64 = 0
  /// The file the message carries, when it carries one (`text` is its caption).
  public var attachment: AttachmentReference? = nil

  /// The sending user, `user@domain`.
  public var from: String { String(self.sender.split(separator: "/", maxSplits: 1).first ?? "") }
}
