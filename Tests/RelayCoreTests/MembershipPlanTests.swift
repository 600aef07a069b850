import Testing
import Wire

@testable import RelayCore

@Suite("Membership plans: who may change a conversation's members, and what is written")
struct MembershipPlanTests {
  private let alice = try! UserAddress(parsing: "alice@a.test")
  private let bob = try! UserAddress(parsing: "bob@a.test")
  private let carol = try! UserAddress(parsing: "carol@b.test")

  private func group(admin: UserAddress, members: [UserAddress], home: String = "a.test") -> ConversationRecord {
    ConversationRecord(
      id: "c", kind: .group, name: "",
      members: [.init(user: admin, role: .admin)] + members.map { .init(user: $0, role: .member) },
      homeRelay: home, createdAtMs: 1, lastActivityMs: 1, lastSeq: 0, unreadCount: 0)
  }

  private func change(
    by actor: UserAddress, _ action: MembershipChange.Action, maxMembers: Int = 8, relay: String? = "a.test"
  ) -> MembershipChange {
    MembershipChange(conversationID: "c", actor: actor, action: action, nowMs: 1, maxMembers: maxMembers, relay: relay)
  }

  @Test("an admin adds users not yet members, each once, within the size limit")
  func add() throws {
    let conversation = self.group(admin: self.alice, members: [self.bob])
    let plan = try self.change(by: self.alice, .add([self.bob, self.carol, self.carol])).plan(on: conversation)
    guard case .add(let newcomers) = plan else {
      Issue.record("not an add: \(plan)")
      return
    }
    #expect(newcomers == [self.carol])
    let full = #expect(throws: RelayError.self) {
      try self.change(by: self.alice, .add([self.carol]), maxMembers: 2).plan(on: conversation)
    }
    #expect(full?.code == .resourceExhausted)
    let member = #expect(throws: RelayError.self) {
      try self.change(by: self.bob, .add([self.carol])).plan(on: conversation)
    }
    #expect(member?.code == .permissionDenied)
  }

  @Test("members change on the conversation's home relay only; a direct conversation's never")
  func where_() throws {
    let elsewhere = #expect(throws: RelayError.self) {
      let owned = self.group(admin: self.alice, members: [], home: "b.test")
      return try self.change(by: self.alice, .add([self.carol])).plan(on: owned)
    }
    #expect(elsewhere?.code == .failedPrecondition)
    var direct = self.group(admin: self.alice, members: [self.bob])
    direct.kind = .direct
    #expect(throws: RelayError.self) { try self.change(by: self.alice, .leave).plan(on: direct) }
    #expect(throws: RelayError.self) { try self.change(by: self.alice, .add([self.carol])).plan(on: direct) }
  }

  @Test("anyone may leave or remove themselves; removing another or setting a role takes an admin, of a member")
  func removeAndRoles() throws {
    let conversation = self.group(admin: self.alice, members: [self.bob])
    guard case .remove(let left) = try self.change(by: self.bob, .leave).plan(on: conversation) else {
      Issue.record("not a removal")
      return
    }
    #expect(left == self.bob)
    #expect(throws: RelayError.self) { try self.change(by: self.bob, .remove(self.alice)).plan(on: conversation) }
    let stranger = #expect(throws: RelayError.self) {
      try self.change(by: self.alice, .setRole(self.carol, .admin)).plan(on: conversation)
    }
    #expect(stranger?.code == .notFound)
    let promotion = try self.change(by: self.alice, .setRole(self.bob, .admin)).plan(on: conversation)
    guard case .setRole(let user, .admin) = promotion else {
      Issue.record("not a role change")
      return
    }
    #expect(user == self.bob)
  }
}
