internal import GRPCCore
internal import SwiftProtobuf
public import Wire

extension RelayDevice {
  /// The conversation an address names: a user (`name@domain`) means the
  /// direct conversation with them (made on first use); anything else is a
  /// conversation id.
  public func conversationID(for address: String) async throws(ClientError) -> String {
    guard address.contains("@") else { return address }
    let conversation = try await Self.call("opening the conversation with \(address)") {
      try await self.relay.createConversation(
        .with {
          $0.kind = .direct
          $0.members = [address]
        })
    }
    return conversation.id
  }

  public func createGroup(name: String, members: [String]) async throws(ClientError) -> Relay_V1_Conversation {
    try await Self.call("creating the group") {
      try await self.relay.createConversation(
        .with {
          $0.kind = .group
          $0.name = name
          $0.members = members
        })
    }
  }

  public func addMembers(
    _ users: [String], to conversationID: String
  ) async throws(ClientError) -> Relay_V1_Conversation {
    try await Self.call("adding members") {
      try await self.relay.addMembers(
        .with {
          $0.conversationID = conversationID
          $0.users = users
        })
    }
  }

  public func removeMember(
    _ user: String, from conversationID: String
  ) async throws(ClientError) -> Relay_V1_Conversation {
    try await Self.call("removing a member") {
      try await self.relay.removeMember(
        .with {
          $0.conversationID = conversationID
          $0.user = user
        })
    }
  }

  /// Leaves a group: this user is no member any more (on every relay once its owner replicated the change).
  public func leave(_ conversationID: String) async throws(ClientError) {
    _ = try await Self.call("leaving the conversation") {
      try await self.relay.leave(.with { $0.conversationID = conversationID })
    }
  }

  public func conversation(_ id: String) async throws(ClientError) -> Relay_V1_Conversation {
    try await Self.call("reading the conversation") {
      try await self.relay.getConversation(.with { $0.conversationID = id })
    }
  }

  /// Every conversation this user is in, most recent activity first.
  public func conversations() async throws(ClientError) -> [Relay_V1_Conversation] {
    var all = [Relay_V1_Conversation]()
    var token = ""
    repeat {
      let page = try await Self.call("listing conversations") {
        try await self.relay.listConversations(.with { $0.pageToken = token })
      }
      all += page.conversations
      token = page.nextPageToken
    } while !token.isEmpty
    return all
  }

  /// The messages this device holds for a conversation, oldest first.
  public func messages(in conversationID: String, limit: Int = 50) throws(ClientError) -> [StoredMessage] {
    try self.database.messages(in: conversationID, limit: limit)
  }

  /// Every message of the conversation this device holds — received, and
  /// sent from any of the user's devices — in display order, the relay's
  /// order (the same on every device). The relay keeps no plaintext: a
  /// device has the messages that reached it since it was registered.
  public func history(of conversationID: String) throws(ClientError) -> [StoredMessage] {
    try self.database.history(of: conversationID)
  }
}
