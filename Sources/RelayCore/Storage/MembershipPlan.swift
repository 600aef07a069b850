package import Wire

/// What a membership change does to a conversation, once the rules allow it.
/// The rules are the same for every backend; each backend only carries out
/// the plan (and checks that added users exist).
package enum MembershipPlan: Sendable {
  /// Add these users (not yet members, no repeats).
  case add([UserAddress])
  /// Remove this member; if no admin is left, the longest-standing member becomes one.
  case remove(UserAddress)
  /// Give this member the role; at least one admin must remain.
  case setRole(UserAddress, ConversationRecord.Role)
}

extension MembershipChange {
  /// Checks that the actor may make this change to `conversation` (as the
  /// actor sees it: the actor is a member) and says what to write.
  package func plan(on conversation: ConversationRecord) throws(RelayError) -> MembershipPlan {
    if let relay = self.relay, conversation.homeRelay != relay {
      throw RelayError(
        .failedPrecondition, "members of this conversation change on its home relay \(conversation.homeRelay)")
    }
    let actorRole = conversation.members.first { $0.user == self.actor }?.role
    let isMember = { (user: UserAddress) in conversation.members.contains { $0.user == user } }
    func requireGroupAdmin() throws(RelayError) {
      guard conversation.kind == .group else {
        throw RelayError(.failedPrecondition, "the members of a direct conversation cannot change")
      }
      guard actorRole == .admin else { throw RelayError(.permissionDenied, "only an admin may do this") }
    }
    switch self.action {
    case .add(let users):
      try requireGroupAdmin()
      var seen = Set<UserAddress>()
      let newcomers = users.filter { !isMember($0) && seen.insert($0).inserted }
      if conversation.members.count + newcomers.count > self.maxMembers {
        throw RelayError(.resourceExhausted, "a group may have at most \(self.maxMembers) members")
      }
      return .add(newcomers)
    case .remove(let user):
      if user != self.actor {
        try requireGroupAdmin()
      } else if conversation.kind == .direct {
        throw RelayError(.failedPrecondition, "the members of a direct conversation cannot change")
      }
      guard isMember(user) else { throw RelayError(.notFound, "that user is not a member of this conversation") }
      return .remove(user)
    case .leave:
      guard conversation.kind == .group else {
        throw RelayError(.failedPrecondition, "a direct conversation cannot be left")
      }
      return .remove(self.actor)
    case .setRole(let user, let role):
      try requireGroupAdmin()
      guard isMember(user) else { throw RelayError(.notFound, "that user is not a member of this conversation") }
      return .setRole(user, role)
    }
  }

  /// The users an `add` names, to check they exist (`users[i]` in errors).
  package var namedUsers: [UserAddress] {
    if case .add(let users) = self.action { return users }
    return []
  }
}
