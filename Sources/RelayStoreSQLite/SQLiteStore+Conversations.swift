internal import Foundation
internal import GRDB
public import RelayCore
public import Wire

extension SQLiteStore {
  public func createConversation(_ new: NewConversation) async throws -> ConversationRecord {
    try await self.write("creating a conversation") { db in
      for (index, user) in new.others.enumerated() where try !Self.userExists(db, user) {
        throw RelayError(.notFound, "members[\(index)] is not a registered user")
      }
      var id = new.id
      var directKey: String?
      if new.kind == .direct {
        let pair = [new.creator.description, new.others[0].description].sorted()
        directKey = pair.joined(separator: "|")
        if let existing = try String.fetchOne(
          db, sql: "SELECT id FROM conversations WHERE direct_key = ?", arguments: [directKey])
        {
          return try Self.conversation(db, id: existing, viewer: new.creator)
        }
      } else if new.others.count + 1 > new.maxMembers {
        throw RelayError(.resourceExhausted, "a group may have at most \(new.maxMembers) members")
      }
      if id.isEmpty { id = UUID().uuidString.lowercased() }
      try db.execute(
        sql: """
          INSERT INTO conversations (id, kind, name, direct_key, home_relay, created_by, created_at_ms, last_activity_ms)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          id, new.kind.rawValue, new.name, directKey, new.homeRelay, new.creator.description, new.nowMs, new.nowMs,
        ])
      let creatorRole: ConversationRecord.Role = new.kind == .group ? .admin : .member
      try Self.addMember(db, conversation: id, user: new.creator, role: creatorRole, nowMs: new.nowMs)
      for user in new.others {
        try Self.addMember(db, conversation: id, user: user, role: .member, nowMs: new.nowMs)
      }
      try Self.replicateConversation(db, id: id, region: self.region)
      return try Self.conversation(db, id: id, viewer: new.creator)
    }
  }

  public func conversation(id: String, viewer: UserAddress) async throws -> ConversationRecord {
    try await self.read("reading a conversation") { db in
      try Self.conversation(db, id: id, viewer: viewer)
    }
  }

  public func changeMembers(_ change: MembershipChange) async throws -> ConversationRecord? {
    try await self.write("changing members") { db in
      let before = try Self.memberRelays(db, change.conversationID, region: self.region)
      try Self.apply(change, db)
      try Self.replicateConversation(db, id: change.conversationID, alsoTo: before, region: self.region)
      let stillMember =
        try Bool.fetchOne(
          db, sql: "SELECT 1 FROM members WHERE conversation_id = ? AND user_address = ?",
          arguments: [change.conversationID, change.actor.description]) != nil
      return stillMember ? try Self.conversation(db, id: change.conversationID, viewer: change.actor) : nil
    }
  }

  public func conversations(of user: UserAddress, page: PageRequest) async throws -> Page<ConversationRecord> {
    try await self.read("listing conversations") { db in
      var sql = """
        SELECT c.id, c.last_activity_ms FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_address = ?
        """
      var arguments: StatementArguments = [user.description]
      if !page.token.isEmpty {
        let after = try PageCursor.Activity(token: page.token)
        sql += " AND (c.last_activity_ms, c.id) < (?, ?)"
        arguments += [after.lastActivityMs, after.id]
      }
      sql += " ORDER BY c.last_activity_ms DESC, c.id DESC LIMIT ?"
      arguments += [page.size + 1]
      let keys = try Row.fetchAll(db, sql: sql, arguments: arguments).map {
        PageCursor.Activity(lastActivityMs: $0[1], id: $0[0])
      }
      let found = PageCursor.page(keys, size: page.size, token: \.token)
      let items = try found.items.map { try Self.conversation(db, id: $0.id, viewer: user) }
      return Page(items: items, nextToken: found.nextToken)
    }
  }

  public func sharesConversation(_ a: UserAddress, _ b: UserAddress) async throws -> Bool {
    try await self.read("checking shared conversations") { db in
      try Bool.fetchOne(
        db,
        sql: """
          SELECT 1 FROM members x JOIN members y ON y.conversation_id = x.conversation_id
          WHERE x.user_address = ? AND y.user_address = ? LIMIT 1
          """,
        arguments: [a.description, b.description]) != nil
    }
  }

  /// The relays that home a conversation's members.
  static func memberRelays(_ db: Database, _ id: String, region: LocalRegion?) throws -> Set<String> {
    let members = try String.fetchAll(
      db, sql: "SELECT user_address FROM members WHERE conversation_id = ?", arguments: [id]
    ).compactMap { try? UserAddress(parsing: $0) }
    let relays = try Self.relays(region, for: members, db)
    return Set(members.map(relays.relay(of:)))
  }

  static func userExists(_ db: Database, _ user: UserAddress) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE address = ?", arguments: [user.description]) != nil
  }

  static func addMember(
    _ db: Database, conversation: String, user: UserAddress, role: ConversationRecord.Role, nowMs: Int64
  ) throws {
    try db.execute(
      sql: "INSERT INTO members (conversation_id, user_address, role, joined_at_ms) VALUES (?, ?, ?, ?)",
      arguments: [conversation, user.description, role.rawValue, nowMs])
  }

  /// The conversation as `viewer` is shown it, with the viewer's unread
  /// count; `notFound` / `permissionDenied`.
  static func conversation(_ db: Database, id: String, viewer: UserAddress) throws -> ConversationRecord {
    var (record, lastRead) = try Self.membership(db, id: id, viewer: viewer)
    let unread =
      try Int64.fetchOne(
        db, sql: "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_user != ?",
        arguments: [id, lastRead, viewer.description]) ?? 0
    record.unreadCount = UInt64(unread)
    return record
  }

  /// The conversation and the viewer's last read seq, checking that `viewer`
  /// is a member (`notFound` / `permissionDenied`); no unread count.
  static func membership(
    _ db: Database, id: String, viewer: UserAddress
  ) throws -> (record: ConversationRecord, lastRead: Int64) {
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [id]) else {
      throw RelayError(.notFound, "unknown conversation")
    }
    let memberRows = try Row.fetchAll(
      db,
      sql:
        "SELECT user_address, role, last_read_seq FROM members WHERE conversation_id = ? ORDER BY joined_at_ms, user_address",
      arguments: [id])
    guard let me = memberRows.first(where: { $0["user_address"] == viewer.description }) else {
      throw RelayError(.permissionDenied, "not a member of this conversation")
    }
    let record = ConversationRecord(
      id: id,
      kind: ConversationRecord.Kind(rawValue: row["kind"]) ?? .group,
      name: row["name"],
      members: try memberRows.map { member in
        ConversationRecord.Member(
          user: try UserAddress(parsing: member["user_address"]),
          role: ConversationRecord.Role(rawValue: member["role"]) ?? .member)
      },
      homeRelay: row["home_relay"],
      createdAtMs: row["created_at_ms"],
      lastActivityMs: row["last_activity_ms"],
      lastSeq: UInt64(row["last_seq"] as Int64),
      unreadCount: 0
    )
    return (record, me["last_read_seq"])
  }
}
