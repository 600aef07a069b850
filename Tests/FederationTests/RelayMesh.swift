import Foundation
import RelaySDK
import TLSIdentity
import Testing

@testable import RelayTestSupport

/// Three relays (`a.test`, `b.test`, `c.test`), each `relay serve` in its own
/// process with its own data, peered by config over mutual TLS on loopback.
/// `a` and `c` reach each other through proxies the test can cut (a partition).
struct RelayMesh: Sendable {
  struct Member: Sendable {
    /// The relay's id (docs/regions.md): its domain, or `domain#region` for a region.
    let name: String
    let domain: String
    let relay: ServedRelay
    let certificatePEM: String
    let privateKeyPEM: String
    let fingerprint: Fingerprint
    /// The relay's config file, and its admin listener (`/metrics`, `/peers`).
    let configPath: String
    let adminPort: Int
    /// The region database when the relay runs on PostgreSQL; nil for the embedded store.
    let postgresURL: String?

    /// A gRPC client presenting this relay's own certificate: what its peers see.
    var asClient: TestDevice {
      TestDevice(
        "relay@\(self.domain)", "relay", certificatePEM: self.certificatePEM, privateKeyPEM: self.privateKeyPEM,
        fingerprint: self.fingerprint.description)
    }
  }

  let a: Member
  let b: Member
  let c: Member
  /// a → c and c → a.
  let partition: [TCPProxy]

  /// alice@a.test and bob@b.test, registered; alice's first message in their
  /// direct conversation has reached bob.
  func directChat() async throws -> (alice: Home, bob: Home, chat: String) {
    let alice = try await Home.register("alice@a.test", "phone", on: self.a.relay)
    let bob = try await Home.register("bob@b.test", "phone", on: self.b.relay)
    let chat = try await alice.open { device in
      let chat = try await device.conversationID(for: "bob@b.test")
      _ = try await device.send("hello b", to: chat)
      return chat
    }
    #expect(try await bob.receive(1) == ["hello b"])
    return (alice, bob, chat)
  }

  /// Until every relay's links to the other two are up (a relay that found a
  /// peer down answers calls for its users at once, "unreachable").
  func waitForLinks() async throws {
    for member in [self.a, self.b, self.c] {
      try await ChildProcess.waitUntil("\(member.domain)'s links up", seconds: 90) {
        let peers = try await runProgram(relayExecutable, ["peers", "--config", member.configPath])
        let lines = peers.output.split(separator: "\n").filter { line in
          ["a.test", "b.test", "c.test"].contains { line.hasPrefix($0 + " ") }
        }
        return lines.count == 2 && lines.allSatisfy { $0.contains("connected") && !$0.contains("disconnected") }
      }
    }
  }

  /// Cuts every connection between `a` and `c`; `heal()` lets them reach each other again.
  func cutAC() async { for proxy in self.partition { await proxy.cut() } }
  /// Silences every connection between `a` and `c` without closing it; `thawAC()` lets bytes through again.
  func freezeAC() { for proxy in self.partition { proxy.freeze() } }
  func thawAC() { for proxy in self.partition { proxy.thaw() } }
  func healAC() async throws { for proxy in self.partition { try await proxy.heal() } }

  /// - Parameters:
  ///   - postgres: the relays that run as a region on a new PostgreSQL database (the rest embedded).
  ///   - clockSkewMs: how far a relay's message clock runs ahead (or behind), by domain.
  ///   - config: more of a relay's config file (YAML sections), by domain.
  static func with<T: Sendable>(
    postgres: Set<String> = [], clockSkewMs: [String: Int64] = [:], config more: [String: String] = [:],
    _ body: (RelayMesh) async throws -> T
  ) async throws -> T {
    let domains = ["a.test", "b.test", "c.test"]
    var ports = [String: Int]()
    var identities = [String: SelfSignedCertificate]()
    for domain in domains {
      ports[domain] = try await freePort()
      identities[domain] = try SelfSignedCertificate.make(
        commonName: domain, dnsNames: [domain], ipAddresses: ["127.0.0.1"])
    }
    let aToC = try await TCPProxy(targetPort: ports["c.test"]!)
    let cToA = try await TCPProxy(targetPort: ports["a.test"]!)
    let address = { (from: String, to: String) -> Int in
      if from == "a.test" && to == "c.test" { return aToC.port }
      if from == "c.test" && to == "a.test" { return cToA.port }
      return ports[to]!
    }
    var members = [String: Member]()
    do {
      for domain in domains {
        var config = "domain: \(domain)\nlimits: { sends_per_second: 1000, send_burst: 1000 }\n"
        config += "region: { postgres_pool_size: 4, commit_lanes: 2 }\n"
        config += "federation:\n  reconcile_interval_seconds: 2\n  peers:\n"
        for peer in domains where peer != domain {
          config += "    - { domain: \(peer), address: \"127.0.0.1:\(address(domain, peer))\", "
          config += "fingerprint: \(identities[peer]!.fingerprint) }\n"
        }
        config += more[domain] ?? ""
        members[domain] = try await Member.start(
          name: domain, domain: domain, identity: identities[domain]!, port: ports[domain]!, config: config,
          postgres: postgres.contains(domain),
          environment: clockSkewMs[domain].map { ["RELAY_CLOCK_SKEW_MS": "\($0)"] } ?? [:])
      }
      let mesh = RelayMesh(
        a: members["a.test"]!, b: members["b.test"]!, c: members["c.test"]!, partition: [aToC, cToA])
      // The relays started one after the other: the first ones found the others down.
      try await mesh.waitForLinks()
      let result = try await body(mesh)
      await Member.stopAll([mesh.a, mesh.b, mesh.c])
      for proxy in mesh.partition { await proxy.close() }
      return result
    } catch {
      await Member.killAll(Array(members.values))
      await aToC.close()
      await cToA.close()
      throw error
    }
  }
}
