import Foundation
import GRPCCore
import RelaySDK
import SwiftProtobuf
import TLSIdentity
import Testing
import Wire

@testable import RelayTestSupport

extension FederationSuites {
  /// What an operator does with peers: look at them, and change them without a restart.
  @Suite("Federation: relay peers and SIGHUP reload", .timeLimit(Patience.minutes(5)))
  struct FederationOperationsTests {
    @Test(
      "relay peers shows each peer; a peer removed from the config and SIGHUP is refused (logged, counted, shown on its side), added back it catches up"
    )
    func peersAndReload() async throws {
      try await RelayMesh.with { mesh in
        let (alice, bob, chat) = try await mesh.directChat()
        _ = try await bob.open { device in try await device.send("hello a", to: chat) }
        #expect(try await alice.receive(1) == ["hello a"])
        let peers = try await runProgram(relayExecutable, ["peers", "--config", mesh.a.configPath])
        #expect(peers.status == 0, "\(peers.output)")
        let line = peers.output.split(separator: "\n").first { $0.hasPrefix("b.test") }.map(String.init) ?? ""
        #expect(line.contains("connected") && !line.contains("disconnected"), "\(peers.output)")
        #expect(peers.output.contains("c.test"), "\(peers.output)")

        // The operator removes b from a's config and reloads: b is a stranger to a now.
        let config = try String(contentsOfFile: mesh.a.configPath, encoding: .utf8)
        let withoutB = config.split(separator: "\n").filter { !$0.contains("domain: b.test") }.joined(separator: "\n")
        try withoutB.write(toFile: mesh.a.configPath, atomically: true, encoding: .utf8)
        mesh.a.relay.hangUp()
        let asB = mesh.b.asClient
        let lookup = { @Sendable () async throws -> Relay_V1_LookupUserResponse in
          try await asB.withConnection(port: mesh.a.relay.port, relayCertificatePEM: mesh.a.certificatePEM) {
            try await FederationClient(wrapping: $0).lookupUser(.with { $0.user = "alice@a.test" })
          }
        }
        try await ChildProcess.waitUntil("a refuses b", seconds: 20) {
          do {
            _ = try await lookup()
            return false
          } catch let error as RPCError {
            return error.code == .unauthenticated
          }
        }
        let listed = try await runProgram(relayExecutable, ["peers", "--config", mesh.a.configPath])
        #expect(!listed.output.contains("b.test"), "\(listed.output)")
        _ = try await bob.open { device in try await device.send("while a did not know b", to: chat) }
        // b's link is refused: `relay peers` on b says so and why; a logs the stranger (once a minute) and counts it.
        try await ChildProcess.waitUntil("b shows a's refusal", seconds: 30) {
          let peers = try await runProgram(relayExecutable, ["peers", "--config", mesh.b.configPath])
          let line = peers.output.split(separator: "\n").first { $0.hasPrefix("a.test") } ?? ""
          return line.contains("refused (unauthenticated: this certificate's key is not a configured peer)")
        }
        let warnings = mesh.a.relay.log.split(separator: "\n").filter { $0.contains("refused a federation call") }
        #expect(!warnings.isEmpty && warnings.allSatisfy { $0.contains(mesh.b.fingerprint.description) })
        let metrics = try await httpGet(port: mesh.a.adminPort, path: "/metrics").body
        let refused = metrics.split(separator: "\n").first { $0.hasPrefix("relay_federation_calls_refused_total") }
        #expect(
          (refused?.split(separator: " ").last.flatMap { Double($0) } ?? 0) > Double(warnings.count), "\(refused ?? "")"
        )

        // Added back: b's outbox, kept all along, drains.
        try config.write(toFile: mesh.a.configPath, atomically: true, encoding: .utf8)
        mesh.a.relay.hangUp()
        try await ChildProcess.waitUntil("a accepts b again", seconds: 20) { (try? await lookup()) != nil }
        #expect(try await alice.receive(1) == ["while a did not know b"])
      }
    }
  }
}
