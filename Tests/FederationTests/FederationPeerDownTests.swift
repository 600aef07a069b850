import Foundation
import RelaySDK
import Testing

@testable import RelayTestSupport

extension FederationSuites {
  /// A peer relay that is down never stops a send to a conversation that exists.
  @Suite("Federation: a peer that is down", .timeLimit(Patience.minutes(5)))
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

        // Someone a has never heard of, on the relay that is down: a clear answer, at once (the
        // link knows b is down; it used to wait 10 s for it) — the fastest of three attempts well
        // under those 10 s, so that a moment of load on a busy machine does not count.
        try await alice.open { device in
          var took = [Duration]()
          for _ in 0 ..< 3 {
            let asked = ContinuousClock.now
            let error = await #expect(throws: (any Error).self) { try await device.conversationID(for: "dave@b.test") }
            took.append(ContinuousClock.now - asked)
            #expect(
              "\(error.map { "\($0)" } ?? "")".contains("the relay of b.test is unreachable"),
              "\(String(describing: error))")
          }
          #expect(took.min()! < .seconds(5), "failed fast: \(took)")
        }

        try await mesh.b.relay.startAgain()
        #expect(try await bob.receive(1) == ["while b is down"])
        // b is back, so b is asked again: dave is no user of it.
        try await alice.open { device in
          let error = await #expect(throws: (any Error).self) { try await device.conversationID(for: "dave@b.test") }
          #expect("\(error.map { "\($0)" } ?? "")".contains("not a user of b.test"), "\(String(describing: error))")
        }
      }
    }
  }
}
