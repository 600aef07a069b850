internal import Federation
internal import Foundation
internal import GRPCCore
internal import RelayCore
internal import Wire

extension ClientService {
  func createConversation(
    request: Relay_V1_CreateConversationRequest, context: ServerContext
  ) async throws -> Relay_V1_Conversation {
    let caller = try await self.authenticator.device(of: context)
    // The limits first, on the request as sent: no work scales with a list past them.
    let kind: ConversationRecord.Kind
    switch request.kind {
    case .direct:
      guard request.members.count == 1 else {
        throw RelayError(.invalidArgument, "a direct conversation has exactly one other member")
      }
      kind = .direct
    case .group:
      try RequestValidation.text(request.name, field: "name", maxBytes: 128)
      guard request.members.count < self.limits.maxGroupMembers else {
        throw RelayError(.resourceExhausted, "a group may have at most \(self.limits.maxGroupMembers) members")
      }
      kind = .group
    case .unspecified, .UNRECOGNIZED:
      throw RelayError(.invalidArgument, "kind must be DIRECT or GROUP")
    }
    let others = try Self.distinctUsers(request.members, field: "members", excluding: caller.address.user)
    if kind == .direct && others.count != 1 {
      throw RelayError(.invalidArgument, "a direct conversation has exactly one other member")
    }
    let new = NewConversation(
      id: UUID().uuidString.lowercased(), kind: kind, name: kind == .group ? request.name : "",
      creator: caller.address.user, others: others, homeRelay: self.configuration.relayID,
      nowMs: self.wallClock(), maxMembers: self.limits.maxGroupMembers)
    // Then the lookups, only for a request within the limits, and only of
    // users not known here yet: a direct conversation that exists is
    // answered without asking the other relay, so it works while that relay is down.
    let record: ConversationRecord
    do {
      record = try await self.store.createConversation(new)
    } catch let error as RelayError where error.code == .notFound {
      var lookedUp = false
      for user in others where try await self.lookUpAndCache(user) { lookedUp = true }
      guard lookedUp else { throw error }
      record = try await self.store.createConversation(new)
    }
    self.dispatcher.committed([])
    return record.wire
  }

  func getConversation(
    request: Relay_V1_GetConversationRequest, context: ServerContext
  ) async throws -> Relay_V1_Conversation {
    let caller = try await self.authenticator.device(of: context)
    let id = try RequestValidation.conversationID(request.conversationID)
    return try await self.store.conversation(id: id, viewer: caller.address.user).wire
  }

  func addMembers(request: Relay_V1_AddMembersRequest, context: ServerContext) async throws -> Relay_V1_Conversation {
    guard !request.users.isEmpty else { throw RelayError(.invalidArgument, "users must name at least one user") }
    guard request.users.count <= self.limits.maxGroupMembers else {
      throw RelayError(.resourceExhausted, "a group may have at most \(self.limits.maxGroupMembers) members")
    }
    let users = try Self.distinctUsers(request.users, field: "users", excluding: nil)
    return try await self.change(request.conversationID, .add(users), context)
  }

  /// The users a list names, parsed, each once, in the order given.
  private static func distinctUsers(
    _ texts: [String], field: String, excluding excluded: UserAddress?
  ) throws(RelayError) -> [UserAddress] {
    var seen = Set<UserAddress>()
    if let excluded { seen.insert(excluded) }
    var users = [UserAddress]()
    users.reserveCapacity(texts.count)
    for (index, text) in texts.enumerated() {
      let user = try RequestValidation.user(text, field: "\(field)[\(index)]")
      if seen.insert(user).inserted { users.append(user) }
    }
    return users
  }

  func removeMember(request: Relay_V1_RemoveMemberRequest, context: ServerContext) async throws -> Relay_V1_Conversation
  {
    let user = try RequestValidation.user(request.user, field: "user")
    return try await self.change(request.conversationID, .remove(user), context)
  }

  func leave(request: Relay_V1_LeaveRequest, context: ServerContext) async throws -> Relay_V1_LeaveResponse {
    _ = try await self.change(request.conversationID, .leave, context)
    return Relay_V1_LeaveResponse()
  }

  func setRole(request: Relay_V1_SetRoleRequest, context: ServerContext) async throws -> Relay_V1_Conversation {
    let user = try RequestValidation.user(request.user, field: "user")
    let role: ConversationRecord.Role
    switch request.role {
    case .admin: role = .admin
    case .member: role = .member
    case .unspecified, .UNRECOGNIZED: throw RelayError(.invalidArgument, "role must be MEMBER or ADMIN")
    }
    return try await self.change(request.conversationID, .setRole(user, role), context)
  }

  /// The conversation after the change; only its id when the caller is no longer a member.
  private func change(
    _ conversationID: String, _ action: MembershipChange.Action, _ context: ServerContext
  ) async throws -> Relay_V1_Conversation {
    let caller = try await self.authenticator.device(of: context)
    let id = try RequestValidation.conversationID(conversationID)
    // The caller must be a member before anything else is looked up or written.
    let conversation = try await self.store.conversation(id: id, viewer: caller.address.user)
    let home = conversation.homeRelay
    if home != self.configuration.relayID {
      // Its home relay owns the members: the change is made there and comes back replicated.
      let request = Relay_V1_MembershipChangeRequest(conversationID: id, actor: caller.address.user, action: action)
      return try await self.remote(caller.address.user).changeMembers(request, owner: home)
    }
    let change = MembershipChange(
      conversationID: id, actor: caller.address.user, action: action, nowMs: self.wallClock(),
      maxMembers: self.limits.maxGroupMembers, relay: self.configuration.relayID)
    // Authorized and within the size limit (the store checks again under its
    // lock) before other relays are asked about the newcomers.
    if case .add(let newcomers) = try change.plan(on: conversation) {
      for user in newcomers { try await self.lookUpAndCache(user) }
    }
    let after = try await self.store.changeMembers(change)
    self.dispatcher.committed([])
    if let after { return after.wire }
    var gone = Relay_V1_Conversation()
    gone.id = id
    return gone
  }

  func listConversations(
    request: Relay_V1_ListConversationsRequest, context: ServerContext
  ) async throws -> Relay_V1_ListConversationsResponse {
    let caller = try await self.authenticator.device(of: context)
    let size = RequestValidation.pageSize(request.pageSize, default: 50, max: self.limits.maxPageSize)
    let page = try await self.store.conversations(
      of: caller.address.user, page: PageRequest(size: size, token: try RequestValidation.pageToken(request.pageToken)))
    var response = Relay_V1_ListConversationsResponse()
    response.conversations = page.items.map(\.wire)
    response.nextPageToken = page.nextToken
    return response
  }

  func getHistory(
    request: Relay_V1_GetHistoryRequest, context: ServerContext
  ) async throws -> Relay_V1_GetHistoryResponse {
    let caller = try await self.authenticator.device(of: context)
    let id = try RequestValidation.conversationID(request.conversationID)
    let size = RequestValidation.pageSize(request.pageSize, default: 100, max: self.limits.maxPageSize)
    let page = try await self.store.history(
      conversationID: id, device: caller.address,
      page: PageRequest(size: size, token: try RequestValidation.pageToken(request.pageToken)))
    var response = Relay_V1_GetHistoryResponse()
    response.envelopes = page.items
    response.nextPageToken = page.nextToken
    return response
  }
}
