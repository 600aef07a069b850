import Client
import Foundation
import Testing

extension FederationSuites {
  /// A peer relay that is down never stops a send to a conversation that exists.
  @Suite("Federation: a peer that is down", .timeLimit(.minutes(5)))
  struct FederationPeerDownTests {
    @Test(
      "with b down, relay-client's send to bob@b.test commits on a and arrives when b is back; a new conversation with a user of b fails clearly"
    )
    func peerDown() async throws {
      try await RelayMesh.with { mesh in
        let (alice, bob, _) = try await mesh.directChat()
        await mesh.b.relay.pause()
        try await FederationSilentPeerTests.waitForLink(mesh, peer: "b.test", connected: false)

        // The form the docs use: an address, not the conversation id.
        let sent = try await runProgram(
          relayClientExecutable, ["--home", alice.path, "send", "bob@b.test", "while b is down"])
        #expect(sent.status == 0, "\(sent.output)")

        // Someone a has never heard of, on the relay that is down: a clear answer (after the link's 10 s wait).
        try await alice.open { device in
          do {
            _ = try await device.conversationID(for: "dave@b.test")
            Issue.record("a conversation with a user of an unreachable relay was created")
          } catch {
            #expect("\(error)".contains("the relay of b.test is unreachable"), "\(error)")
          }
        }

        try await mesh.b.relay.startAgain()
        #expect(try await bob.receive(1) == ["while b is down"])
      }
    }
  }
}
