internal import Foundation
internal import GRDB
internal import RelayCore
internal import Wire

extension SQLiteStore {
  /// A conversation's metadata from its owning relay: applied only when newer
  /// than what is here; members replaced (read positions of those who stay kept).
  /// A member of `localDomain` must be registered here; nil (the state comes
  /// from another region of this domain) when members of the domain may be homed elsewhere.
  static func applyConversation(
    _ state: Relay_V1_ConversationState, members: [ConversationRecord.Member], localDomain: String?, _ db: Database
  ) throws {
    let version = try Int64(wire: state.version, field: "conversation version")
    let existing = try Row.fetchOne(
      db, sql: "SELECT home_relay, version FROM conversations WHERE id = ?", arguments: [state.id])
    if let existing {
      guard existing[0] == state.homeRelay else {
        throw RelayError(.permissionDenied, "the conversation is owned by another relay")
      }
      guard (existing[1] as Int64) < version else { return }  // as new or newer here already
    }
    for member in members {
      if member.user.domain == localDomain {
        guard try Self.userExists(db, member.user) else {
          throw RelayError(.notFound, "a member of this relay's domain is not registered here")
        }
      } else {
        try db.execute(
          sql: "INSERT INTO users (address, created_at_ms) VALUES (?, ?) ON CONFLICT DO NOTHING",
          arguments: [member.user.description, state.createdAtMs])
      }
    }
    let kind: ConversationRecord.Kind = state.kind == .direct ? .direct : .group
    if existing == nil {
      var directKey: String?
      if kind == .direct {
        let key = members.map(\.user.description).sorted().joined(separator: "|")
        // Two relays may each have created the pair's direct conversation; the second one stays keyless.
        let taken = try Bool.fetchOne(db, sql: "SELECT 1 FROM conversations WHERE direct_key = ?", arguments: [key])
        directKey = taken == nil ? key : nil
      }
      try db.execute(
        sql: """
          INSERT INTO conversations (id, kind, name, direct_key, home_relay, created_by, created_at_ms, last_activity_ms, version)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          state.id, kind.rawValue, state.name, directKey, state.homeRelay, state.createdBy, state.createdAtMs,
          state.createdAtMs, version,
        ])
    } else {
      try db.execute(
        sql: "UPDATE conversations SET name = ?, version = ? WHERE id = ?",
        arguments: [state.name, version, state.id])
    }
    let users = members.map(\.user.description)
    let stale = try String.fetchAll(
      db, sql: "SELECT user_address FROM members WHERE conversation_id = ?", arguments: [state.id]
    ).filter { !users.contains($0) }
    for user in stale {
      try db.execute(
        sql: "DELETE FROM members WHERE conversation_id = ? AND user_address = ?", arguments: [state.id, user])
    }
    for member in members {
      try db.execute(
        sql: """
          INSERT INTO members (conversation_id, user_address, role, joined_at_ms) VALUES (?, ?, ?, ?)
          ON CONFLICT (conversation_id, user_address) DO UPDATE SET role = excluded.role
          """,
        arguments: [state.id, member.user.description, member.role.rawValue, state.createdAtMs])
    }
  }
}
