import Foundation
import GRDB
import RelaySDK
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// A partition between `a` and `c` while both write to the same group.
  @Suite("Federation: a partition heals to identical conversations", .timeLimit(Patience.minutes(5)))
  struct FederationPartitionTests {
    @Test(
      "a and c cut apart while both write to a group (a's outbox to c even lost), then healed: all three relays hold the same messages in the same display order",
      arguments: [Set<String>(), ["a.test", "c.test"]])
    func partitionHeals(onPostgres: Set<String>) async throws {
      try await RelayMesh.with(postgres: onPostgres) { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let bob = try await Home.register("bob@b.test", "phone", on: mesh.b.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        let group = try await alice.open { device in
          try await device.createGroup(name: "partitioned", members: ["bob@b.test", "carol@c.test"]).id
        }
        for (home, text) in [(alice, "before: a"), (bob, "before: b"), (carol, "before: c")] {
          try await home.waitForConversation(group)
          _ = try await home.open { device in try await device.send(text, to: group) }
        }
        try await Self.waitForConvergence(mesh, group, count: 3)

        await mesh.cutAC()
        try await alice.open { device in
          for index in 1 ... 5 { _ = try await device.send("during: a \(index)", to: group) }
        }
        try await carol.open { device in
          for index in 1 ... 5 { _ = try await device.send("during: c \(index)", to: group) }
        }
        _ = try await bob.open { device in try await device.send("during: b", to: group) }
        // a's outbox towards c is lost: only anti-entropy can bring c what a wrote.
        let dropped = try await mesh.a.loseOutbox(to: "c.test")
        #expect(dropped >= 5, "a's messages for c were still waiting in its outbox")
        try await Task.sleep(for: .seconds(1))
        #expect(try await mesh.c.messages(group).count < 14, "c has not seen a's messages while cut off")

        try await mesh.healAC()
        let converged = try await Self.waitForConvergence(mesh, group, count: 14)
        #expect(Set(converged.map(\.messageID)).count == 14, "every message once")
        #expect(converged.map(\.origin).filter { $0 == "a.test" }.count == 6)
        // The devices got what was addressed to them, too.
        #expect(Set(try await carol.receive(8)).isSuperset(of: (1 ... 5).map { "during: a \($0)" }))
      }
    }

    /// Waits until all three relays hold `count` messages of the conversation, and returns a's,
    /// after checking that b and c hold exactly the same list.
    @discardableResult
    static func waitForConvergence(
      _ mesh: RelayMesh, _ conversation: String, count: Int
    ) async throws -> [RelayMesh.Member.Stored] {
      try await ChildProcess.waitUntil("\(count) messages on every relay", seconds: 60) {
        for member in [mesh.a, mesh.b, mesh.c] where try await member.messages(conversation).count != count {
          return false
        }
        return true
      }
      let reference = try await mesh.a.messages(conversation)
      #expect(try await mesh.b.messages(conversation) == reference, "b shows a's display order")
      #expect(try await mesh.c.messages(conversation) == reference, "c shows a's display order")
      return reference
    }
  }
}
