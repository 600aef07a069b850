public import Wire

public struct ConversationRecord: Sendable, Hashable {
  public enum Kind: Int, Sendable, Hashable {
    case direct = 1
    case group = 2
  }
  public enum Role: Int, Sendable, Hashable {
    case member = 1
    case admin = 2
  }

  public struct Member: Sendable, Hashable {
    public var user: UserAddress
    public var role: Role

    package init(user: UserAddress, role: Role) {
      self.user = user
      self.role = role
    }
  }

  public var id: String
  public var kind: Kind
  public var name: String
  public var members: [Member]
  public var homeRelay: String
  public var createdAtMs: Int64
  public var lastActivityMs: Int64
  public var lastSeq: UInt64
  /// Messages after the viewer's last read one, not sent by the viewer.
  public var unreadCount: UInt64

  package init(
    id: String, kind: Kind, name: String, members: [Member], homeRelay: String, createdAtMs: Int64,
    lastActivityMs: Int64, lastSeq: UInt64, unreadCount: UInt64
  ) {
    self.id = id
    self.kind = kind
    self.name = name
    self.members = members
    self.homeRelay = homeRelay
    self.createdAtMs = createdAtMs
    self.lastActivityMs = lastActivityMs
    self.lastSeq = lastSeq
    self.unreadCount = unreadCount
  }
}

public struct NewConversation: Sendable {
  public var id: String
  public var kind: ConversationRecord.Kind
  public var name: String
  public var creator: UserAddress
  /// Everyone but the creator.
  public var others: [UserAddress]
  public var homeRelay: String
  public var nowMs: Int64
  public var maxMembers: Int

  public init(
    id: String, kind: ConversationRecord.Kind, name: String, creator: UserAddress, others: [UserAddress],
    homeRelay: String, nowMs: Int64, maxMembers: Int
  ) {
    self.id = id
    self.kind = kind
    self.name = name
    self.creator = creator
    self.others = others
    self.homeRelay = homeRelay
    self.nowMs = nowMs
    self.maxMembers = maxMembers
  }
}

/// A change to a conversation's members, made by `actor`.
public struct MembershipChange: Sendable {
  public enum Action: Sendable {
    case add([UserAddress])
    case remove(UserAddress)
    case leave
    case setRole(UserAddress, ConversationRecord.Role)
  }
  public var conversationID: String
  public var actor: UserAddress
  public var action: Action
  public var nowMs: Int64
  public var maxMembers: Int
  /// The relay making the change: a conversation owned by another relay
  /// changes only there. `nil`: no ownership check (a single relay).
  public var relay: String? = nil

  package init(
    conversationID: String, actor: UserAddress, action: Action, nowMs: Int64, maxMembers: Int, relay: String? = nil
  ) {
    self.conversationID = conversationID
    self.actor = actor
    self.action = action
    self.nowMs = nowMs
    self.maxMembers = maxMembers
    self.relay = relay
  }
}
