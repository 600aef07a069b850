internal import GRDB
internal import Wire

extension SQLiteStore {
  /// Applies a membership change after checking the actor may make it.
  static func apply(_ change: MembershipChange, _ db: Database) throws {
    let conversation = try Self.membership(db, id: change.conversationID, viewer: change.actor).record
    let actorRole = conversation.members.first { $0.user == change.actor }?.role
    let isMember = { (user: UserAddress) in conversation.members.contains { $0.user == user } }
    func requireGroupAdmin() throws {
      guard conversation.kind == .group else {
        throw RelayError(.failedPrecondition, "the members of a direct conversation cannot change")
      }
      guard actorRole == .admin else { throw RelayError(.permissionDenied, "only an admin may do this") }
    }
    switch change.action {
    case .add(let users):
      try requireGroupAdmin()
      for (index, user) in users.enumerated() where try !Self.userExists(db, user) {
        throw RelayError(.notFound, "users[\(index)] is not a registered user")
      }
      let newcomers = Array(Set(users.filter { !isMember($0) }))
      if conversation.members.count + newcomers.count > change.maxMembers {
        throw RelayError(.resourceExhausted, "a group may have at most \(change.maxMembers) members")
      }
      for user in newcomers {
        try Self.addMember(db, conversation: conversation.id, user: user, role: .member, nowMs: change.nowMs)
      }
    case .remove(let user):
      if user != change.actor {
        try requireGroupAdmin()
      } else if conversation.kind == .direct {
        throw RelayError(.failedPrecondition, "the members of a direct conversation cannot change")
      }
      guard isMember(user) else { throw RelayError(.notFound, "that user is not a member of this conversation") }
      try Self.removeMember(db, conversation: conversation, user: user)
    case .leave:
      guard conversation.kind == .group else {
        throw RelayError(.failedPrecondition, "a direct conversation cannot be left")
      }
      try Self.removeMember(db, conversation: conversation, user: change.actor)
    case .setRole(let user, let role):
      try requireGroupAdmin()
      guard isMember(user) else { throw RelayError(.notFound, "that user is not a member of this conversation") }
      try db.execute(
        sql: "UPDATE members SET role = ? WHERE conversation_id = ? AND user = ?",
        arguments: [role.rawValue, conversation.id, user.description])
      let admins =
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM members WHERE conversation_id = ? AND role = ?",
          arguments: [conversation.id, ConversationRecord.Role.admin.rawValue]) ?? 0
      if admins == 0 { throw RelayError(.failedPrecondition, "a group needs at least one admin") }
    }
  }

  /// Removes a member; when the last admin goes, the longest-standing member becomes admin.
  static func removeMember(_ db: Database, conversation: ConversationRecord, user: UserAddress) throws {
    try db.execute(
      sql: "DELETE FROM members WHERE conversation_id = ? AND user = ?", arguments: [conversation.id, user.description])
    let admin = ConversationRecord.Role.admin.rawValue
    let admins =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM members WHERE conversation_id = ? AND role = ?",
        arguments: [conversation.id, admin]) ?? 0
    if admins == 0 {
      try db.execute(
        sql: """
          UPDATE members SET role = ? WHERE conversation_id = ? AND user = (
            SELECT user FROM members WHERE conversation_id = ? ORDER BY joined_at_ms, user LIMIT 1)
          """,
        arguments: [admin, conversation.id, conversation.id])
    }
  }
}
