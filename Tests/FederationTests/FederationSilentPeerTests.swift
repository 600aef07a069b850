import Foundation
import RelaySDK
import Testing

@testable import RelayTestSupport

extension FederationSuites {
  /// A peer that stops answering without closing its connection.
  @Suite("Federation: a silent peer", .timeLimit(Patience.minutes(5)))
  struct FederationSilentPeerTests {
    @Test("a link gone silent is noticed within its keepalive bound, sends commit meanwhile, and delivery resumes")
    func silentPeer() async throws {
      try await RelayMesh.with { mesh in
        let alice = try await Home.register("alice@a.test", "phone", on: mesh.a.relay)
        let carol = try await Home.register("carol@c.test", "phone", on: mesh.c.relay)
        let chat = try await alice.open { device in
          let chat = try await device.conversationID(for: "carol@c.test")
          _ = try await device.send("before", to: chat)
          return chat
        }
        #expect(try await carol.receive(1) == ["before"])
        try await Self.waitForLink(mesh, connected: true)
        // Half-open: the connection stays up, nothing comes back. Without
        // HTTP/2 keepalive, a's link would wait on it until TCP gave up.
        mesh.freezeAC()
        let frozenAt = ContinuousClock.now
        _ = try await alice.open { device in try await device.send("while silent", to: chat) }
        try await Self.waitForLink(mesh, connected: false)
        // The keepalive: a ping 20 s after the last frame, 10 s to answer; a little slack for a busy machine.
        #expect(ContinuousClock.now - frozenAt < .seconds(60))
        mesh.thawAC()
        #expect(try await carol.receive(1) == ["while silent"])
      }
    }

    /// Waits until `relay peers` on a shows `peer` connected (or not).
    static func waitForLink(_ mesh: RelayMesh, peer: String = "c.test", connected: Bool) async throws {
      try await ChildProcess.waitUntil("a's link to \(peer) \(connected ? "up" : "down")", seconds: 90) {
        let peers = try await runProgram(relayExecutable, ["peers", "--config", mesh.a.configPath])
        let line = peers.output.split(separator: "\n").first { $0.hasPrefix(peer) } ?? ""
        return connected
          ? (line.contains("connected") && !line.contains("disconnected")) : line.contains("disconnected")
      }
    }
  }
}
