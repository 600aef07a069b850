import Foundation
import RelaySDK
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// The hybrid logical clock across relays whose wall clocks disagree.
  @Suite("Federation: clocks that disagree", .timeLimit(Patience.minutes(5)))
  struct FederationClockTests {
    @Test("with a's clock 10 minutes ahead, a reply made on b sorts after the message it answers, on all three relays")
    func replyAfterQuestion() async throws {
      try await RelayMesh.with(clockSkewMs: ["a.test": 600_000]) { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let bob = try await Home.register("bob@b.test", "phone", on: mesh.b.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        let group = try await alice.open { device in
          try await device.createGroup(name: "skewed", members: ["bob@b.test", "carol@c.test"]).id
        }
        try await bob.waitForConversation(group)
        try await carol.waitForConversation(group)
        let question = try await alice.open { device in try await device.send("question", to: group) }
        #expect(try await bob.receive(1) == ["question"])
        // b has applied the question (bob read it): its clock observed a's.
        let answer = try await bob.open { device in try await device.send("answer", to: group) }
        #expect(Set(try await carol.receive(2)) == ["question", "answer"])
        #expect(try await alice.receive(1) == ["answer"])
        for member in [mesh.a, mesh.b, mesh.c] {
          let order = try await member.messages(group).map(\.messageID)
          #expect(order == [question.messageID, answer.messageID], "display order on \(member.domain)")
        }
      }
    }
  }
}
