internal import Foundation
internal import SwiftProtobuf
internal import Wire

/// A device's live session with its relay, while `RelayDevice.connect` runs:
/// the events as they happen, and the ephemeral things a person does.
public struct LiveSession: Sendable {
  /// Messages, receipts, presence, typing and connection changes, in order.
  public let events: AsyncStream<ClientEvent>
  let router: FrameRouter

  /// Tells the other members' live devices that this user is (or stopped) typing.
  public func typing(in conversationID: String, _ typing: Bool = true) {
    self.router.send(
      .with {
        $0.typing.conversationID = conversationID
        $0.typing.typing = typing
      })
  }

  /// Marks the conversation's messages up to `seq` read: a read receipt goes to their senders.
  public func markRead(_ conversationID: String, upTo seq: UInt64) {
    self.router.send(
      .with {
        $0.read.conversationID = conversationID
        $0.read.upToSeq = seq
      })
  }

  /// Follows the presence of users who share a conversation with this one.
  public func subscribePresence(_ users: [String]) {
    self.router.send(.with { $0.presence.users = users })
  }
}
