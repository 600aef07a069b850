internal import Foundation
internal import PostgresNIO
public import RelayCore
public import Wire

extension PostgresStore {
  public func createConversation(_ new: NewConversation) async throws -> ConversationRecord {
    try await self.transaction("creating a conversation") { db in
      for (index, user) in new.others.enumerated() where try await !Self.userExists(db, user) {
        throw RelayError(.notFound, "members[\(index)] is not a registered user")
      }
      var directKey: String?
      if new.kind == .direct {
        directKey = [new.creator.description, new.others[0].description].sorted().joined(separator: "|")
      } else if new.others.count + 1 > new.maxMembers {
        throw RelayError(.resourceExhausted, "a group may have at most \(new.maxMembers) members")
      }
      let id = new.id.isEmpty ? UUID().uuidString.lowercased() : new.id
      // A direct conversation is one per pair, even when both start it at once on two nodes.
      let inserted = try await db.rows(
        """
        INSERT INTO conversations (id, kind, name, direct_key, home_relay, created_by, created_at_ms, last_activity_ms)
        VALUES (\(id), \(Int16(new.kind.rawValue)), \(new.name), \(directKey), \(new.homeRelay),
          \(new.creator.description), \(new.nowMs), \(new.nowMs))
        ON CONFLICT (direct_key) DO NOTHING RETURNING 1
        """)
      if inserted.isEmpty, let directKey {
        let existing = try await db.rows("SELECT id FROM conversations WHERE direct_key = \(directKey)")
        return try await Self.conversation(db, id: try existing[0].decode(String.self), viewer: new.creator)
      }
      let creatorRole: ConversationRecord.Role = new.kind == .group ? .admin : .member
      try await Self.addMembers(db, conversation: id, users: [new.creator], role: creatorRole, nowMs: new.nowMs)
      try await Self.addMembers(db, conversation: id, users: new.others, role: .member, nowMs: new.nowMs)
      try await Self.replicateConversation(db, id: id, region: self.region)
      return try await Self.conversation(db, id: id, viewer: new.creator)
    }
  }

  public func conversation(id: String, viewer: UserAddress) async throws -> ConversationRecord {
    try await self.read("reading a conversation") { db in try await Self.conversation(db, id: id, viewer: viewer) }
  }

  public func conversations(of user: UserAddress, page: PageRequest) async throws -> Page<ConversationRecord> {
    try await self.read("listing conversations") { db in
      let after = page.token.isEmpty ? nil : try PageCursor.Activity(token: page.token)
      let keys = try await db.rows(
        """
        SELECT c.id, c.last_activity_ms FROM members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_address = \(user.description)
          AND (\(after == nil) OR (c.last_activity_ms, c.id) < (\(after?.lastActivityMs ?? 0), \(after?.id ?? "")))
        ORDER BY c.last_activity_ms DESC, c.id DESC LIMIT \(page.size + 1)
        """
      ).map { row in
        let (id, ms) = try row.decode((String, Int64).self)
        return PageCursor.Activity(lastActivityMs: ms, id: id)
      }
      let found = PageCursor.page(keys, size: page.size, token: \.token)
      var items = [ConversationRecord]()
      for key in found.items { items.append(try await Self.conversation(db, id: key.id, viewer: user)) }
      return Page(items: items, nextToken: found.nextToken)
    }
  }

  public func sharesConversation(_ a: UserAddress, _ b: UserAddress) async throws -> Bool {
    try await self.read("checking shared conversations") { db in
      try await !db.rows(
        """
        SELECT 1 FROM members x JOIN members y ON y.conversation_id = x.conversation_id
        WHERE x.user_address = \(a.description) AND y.user_address = \(b.description) LIMIT 1
        """
      ).isEmpty
    }
  }

  static func userExists(_ db: PostgresConnection, _ user: UserAddress) async throws -> Bool {
    try await !db.rows("SELECT 1 FROM users WHERE address = \(user.description)").isEmpty
  }

  static func addMembers(
    _ db: PostgresConnection, conversation: String, users: [UserAddress], role: ConversationRecord.Role, nowMs: Int64
  ) async throws {
    guard !users.isEmpty else { return }
    try await db.run(
      """
      INSERT INTO members (conversation_id, user_address, role, joined_at_ms)
      SELECT \(conversation), u, \(Int16(role.rawValue)), \(nowMs) FROM unnest(\(users.map(\.description))::text[]) AS u
      ON CONFLICT DO NOTHING
      """)
  }

  /// The conversation as `viewer` is shown it, with the viewer's unread count.
  static func conversation(_ db: PostgresConnection, id: String, viewer: UserAddress) async throws -> ConversationRecord
  {
    var (record, lastRead) = try await Self.membership(db, id: id, viewer: viewer)
    let unread = try await db.rows(
      """
      SELECT COUNT(*) FROM messages
      WHERE conversation_id = \(id) AND seq > \(lastRead) AND sender_user <> \(viewer.description)
      """)
    record.unreadCount = UInt64(try unread[0].decode(Int64.self))
    return record
  }

  /// The conversation and the viewer's last read seq, checking that `viewer`
  /// is a member (`notFound` / `permissionDenied`); no unread count.
  static func membership(
    _ db: PostgresConnection, id: String, viewer: UserAddress
  ) async throws -> (record: ConversationRecord, lastRead: Int64) {
    let rows = try await db.rows(
      """
      SELECT kind, name, home_relay, created_at_ms, last_activity_ms, last_seq FROM conversations WHERE id = \(id)
      """)
    guard let row = rows.first else { throw RelayError(.notFound, "unknown conversation") }
    let (kind, name, homeRelay, createdAt, lastActivity, lastSeq) = try row.decode(
      (Int16, String, String, Int64, Int64, Int64).self)
    var members = [ConversationRecord.Member]()
    var lastRead: Int64?
    for member in try await db.rows(
      """
      SELECT user_address, role, last_read_seq FROM members WHERE conversation_id = \(id)
      ORDER BY joined_at_ms, user_address
      """)
    {
      let (user, role, read) = try member.decode((String, Int16, Int64).self)
      if user == viewer.description { lastRead = read }
      members.append(
        .init(user: try UserAddress(parsing: user), role: ConversationRecord.Role(rawValue: Int(role)) ?? .member))
    }
    guard let lastRead else { throw RelayError(.permissionDenied, "not a member of this conversation") }
    let record = ConversationRecord(
      id: id, kind: ConversationRecord.Kind(rawValue: Int(kind)) ?? .group, name: name, members: members,
      homeRelay: homeRelay, createdAtMs: createdAt, lastActivityMs: lastActivity, lastSeq: UInt64(lastSeq),
      unreadCount: 0)
    return (record, lastRead)
  }
}
