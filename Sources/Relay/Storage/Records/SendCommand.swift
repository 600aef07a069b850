public import Foundation
public import Wire

/// One validated send, ready to commit.
public struct SendCommand: Sendable {
  public struct Copy: Sendable {
    public var device: DeviceAddress
    public var ciphertext: Data
  }
  public var sender: DeviceAddress
  public var messageID: MessageID
  public var conversationID: String
  public var copies: [Copy]
  public var originRelay: String
}

/// A committed send: the result for the sender, and who to ring.
public struct SendOutcome: Sendable {
  public var result: Relay_V1_SendResult
  public var doorbells: [Doorbell]
}
