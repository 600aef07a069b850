internal import PostgresNIO
public import RelayCore
internal import Wire

extension PostgresStore {
  public func changeMembers(_ change: MembershipChange) async throws -> ConversationRecord? {
    try await self.transaction("changing members") { db in
      // The conversation row lock orders membership changes (and sends) per conversation.
      let id = change.conversationID
      try await db.run("SELECT 1 FROM conversations WHERE id = \(id) FOR UPDATE")
      let conversation = try await Self.membership(db, id: id, viewer: change.actor).record
      let plan = try change.plan(on: conversation)
      let members = conversation.members.map(\.user)
      let before = Set(members.map(try await Self.relays(self.region, for: members, db).relay(of:)))
      for (index, user) in change.namedUsers.enumerated() where try await !Self.userExists(db, user) {
        throw RelayError(.notFound, "users[\(index)] is not a registered user")
      }
      let admin = Int16(ConversationRecord.Role.admin.rawValue)
      switch plan {
      case .add(let newcomers):
        try await Self.addMembers(db, conversation: id, users: newcomers, role: .member, nowMs: change.nowMs)
      case .remove(let user):
        try await db.run("DELETE FROM members WHERE conversation_id = \(id) AND user_address = \(user.description)")
        try await db.run(
          """
          UPDATE members SET role = \(admin) WHERE conversation_id = \(id) AND user_address = (
            SELECT user_address FROM members WHERE conversation_id = \(id) ORDER BY joined_at_ms, user_address LIMIT 1)
          AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = \(id) AND role = \(admin))
          """)
      case .setRole(let user, let role):
        try await db.run(
          """
          UPDATE members SET role = \(Int16(role.rawValue))
          WHERE conversation_id = \(id) AND user_address = \(user.description)
          """)
        if try await db.rows("SELECT 1 FROM members WHERE conversation_id = \(id) AND role = \(admin)").isEmpty {
          throw RelayError(.failedPrecondition, "a group needs at least one admin")
        }
      }
      try await Self.replicateConversation(db, id: id, alsoTo: before, region: self.region)
      let stillMember = try await !db.rows(
        "SELECT 1 FROM members WHERE conversation_id = \(id) AND user_address = \(change.actor.description)"
      ).isEmpty
      return stillMember ? try await Self.conversation(db, id: id, viewer: change.actor) : nil
    }
  }
}
