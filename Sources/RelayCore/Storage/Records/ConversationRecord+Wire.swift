package import Wire

extension ConversationRecord {
  /// The conversation as the protocol carries it.
  package var wire: Relay_V1_Conversation {
    var conversation = Relay_V1_Conversation()
    conversation.id = self.id
    conversation.kind = self.kind == .direct ? .direct : .group
    conversation.name = self.name
    conversation.members = self.members.map { member in
      var wire = Relay_V1_Member()
      wire.user = member.user.description
      wire.role = member.role == .admin ? .admin : .member
      return wire
    }
    conversation.homeRelay = self.homeRelay
    conversation.createdAtMs = self.createdAtMs
    conversation.lastActivityMs = self.lastActivityMs
    conversation.lastSeq = self.lastSeq
    conversation.unreadCount = self.unreadCount
    return conversation
  }
}
