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
}
