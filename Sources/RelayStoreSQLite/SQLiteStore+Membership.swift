internal import GRDB
internal import RelayCore
internal import Wire

extension SQLiteStore {
  /// Applies a membership change after checking the actor may make it.
  static func apply(_ change: MembershipChange, _ db: Database) throws {
    let conversation = try Self.membership(db, id: change.conversationID, viewer: change.actor).record
    let plan = try change.plan(on: conversation)
    for (index, user) in change.namedUsers.enumerated() where try !Self.userExists(db, user) {
      throw RelayError(.notFound, "users[\(index)] is not a registered user")
    }
    let admin = ConversationRecord.Role.admin.rawValue
    switch plan {
    case .add(let newcomers):
      for user in newcomers {
        try Self.addMember(db, conversation: conversation.id, user: user, role: .member, nowMs: change.nowMs)
      }
    case .remove(let user):
      try db.execute(
        sql: "DELETE FROM members WHERE conversation_id = ? AND user_address = ?",
        arguments: [conversation.id, user.description])
      if try Self.adminCount(db, conversation.id) == 0 {
        try db.execute(
          sql: """
            UPDATE members SET role = ? WHERE conversation_id = ? AND user_address = (
              SELECT user_address FROM members WHERE conversation_id = ? ORDER BY joined_at_ms, user_address LIMIT 1)
            """,
          arguments: [admin, conversation.id, conversation.id])
      }
    case .setRole(let user, let role):
      try db.execute(
        sql: "UPDATE members SET role = ? WHERE conversation_id = ? AND user_address = ?",
        arguments: [role.rawValue, conversation.id, user.description])
      if try Self.adminCount(db, conversation.id) == 0 {
        throw RelayError(.failedPrecondition, "a group needs at least one admin")
      }
    }
  }

  private static func adminCount(_ db: Database, _ conversation: String) throws -> Int {
    try Int.fetchOne(
      db, sql: "SELECT COUNT(*) FROM members WHERE conversation_id = ? AND role = ?",
      arguments: [conversation, ConversationRecord.Role.admin.rawValue]) ?? 0
  }
}
