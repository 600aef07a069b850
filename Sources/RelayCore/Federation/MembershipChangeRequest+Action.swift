internal import SwiftProtobuf
package import Wire

/// A membership change crossing to the conversation's owning relay, and back
/// into the change the owner applies.
extension Relay_V1_MembershipChangeRequest {
  package init(conversationID: String, actor: UserAddress, action: MembershipChange.Action) {
    self.init()
    self.conversationID = conversationID
    self.actor = actor.description
    switch action {
    case .add(let users):
      self.add = .with {
        $0.conversationID = conversationID
        $0.users = users.map(\.description)
      }
    case .remove(let user):
      self.remove = .with {
        $0.conversationID = conversationID
        $0.user = user.description
      }
    case .leave:
      self.leave = .with { $0.conversationID = conversationID }
    case .setRole(let user, let role):
      self.setRole = .with {
        $0.conversationID = conversationID
        $0.user = user.description
        $0.role = role == .admin ? .admin : .member
      }
    }
  }

  /// The change the request names, its users checked.
  package func action() throws(RelayError) -> MembershipChange.Action {
    switch self.change {
    case .add(let add):
      guard !add.users.isEmpty else { throw RelayError(.invalidArgument, "users must name at least one user") }
      var users = [UserAddress]()
      for (index, text) in add.users.enumerated() {
        users.append(try RequestValidation.user(text, field: "users[\(index)]"))
      }
      return .add(users)
    case .remove(let remove):
      return .remove(try RequestValidation.user(remove.user, field: "user"))
    case .leave:
      return .leave
    case .setRole(let set):
      guard set.role == .admin || set.role == .member else {
        throw RelayError(.invalidArgument, "role must be MEMBER or ADMIN")
      }
      return .setRole(try RequestValidation.user(set.user, field: "user"), set.role == .admin ? .admin : .member)
    case nil:
      throw RelayError(.invalidArgument, "a membership change needs add, remove, leave or set_role")
    }
  }
}
