import Foundation
import GRDB
import Logging
import PostgresNIO
import TLSIdentity
import Testing

@testable import RelayTestSupport

/// Three regions of `example.test` (`eu`, `us`, `ap`), each `relay serve` in
/// its own process with its own data, linked by `federation.regions` over
/// mutual TLS on loopback. `eu` and `us` reach each other through proxies the
/// test can cut (a partition), and `ap` reaches `eu` through one. With `otherDomain`, `other.test` is a relay
/// of another domain with one peer entry for `example.test` (eu's address
/// and key), and `eu` is the domain's gateway (`federation.gateway`).
struct RegionMesh: Sendable {
  static let domain = "example.test"
  static let names = ["eu", "us", "ap"]
  static let otherDomain = "other.test"

  let members: [String: RelayMesh.Member]
  /// The relay of `other.test`, when the mesh has one.
  let other: RelayMesh.Member?
  /// eu → us and us → eu.
  let partition: [TCPProxy]
  /// ap → eu.
  let apToEU: TCPProxy
  /// other.test → eu and eu → other.test, when the mesh has another domain.
  let otherLinks: [TCPProxy]
  /// The address each region lists for each other one, by (from, to).
  let addresses: [String: String]

  subscript(_ region: String) -> RelayMesh.Member { self.members[region]! }

  func cutEUUS() async { for proxy in self.partition { await proxy.cut() } }
  func healEUUS() async throws { for proxy in self.partition { try await proxy.heal() } }
  func cutAPEU() async { await self.apToEU.cut() }
  func healAPEU() async throws { try await self.apToEU.heal() }
  func cutOther() async { for proxy in self.otherLinks { await proxy.cut() } }
  func healOther() async throws { for proxy in self.otherLinks { try await proxy.heal() } }

  /// The address `from` sends its devices to for `to` (`relay-home-address`).
  func address(of to: String, from: String) -> String { self.addresses["\(from)>\(to)"]! }

  /// Until every region's links to the other two are up.
  func waitForLinks() async throws {
    for member in Self.names.map({ self[$0] }) {
      try await ChildProcess.waitUntil("\(member.name)'s links up", seconds: 90) {
        let peers = try await runProgram(relayExecutable, ["peers", "--config", member.configPath])
        let lines = peers.output.split(separator: "\n").filter { $0.hasPrefix(Self.domain + "#") }
        return lines.count == 2 && lines.allSatisfy { $0.contains(" connected") }
      }
    }
    guard let other = self.other else { return }
    try await ChildProcess.waitUntil("other.test's link up", seconds: 90) {
      let peers = try await runProgram(relayExecutable, ["peers", "--config", other.configPath])
      return peers.output.split(separator: "\n").contains {
        $0.hasPrefix(Self.domain + " ") && $0.contains(" connected")
      }
    }
  }

  /// - Parameters:
  ///   - postgres: the regions that run on a new PostgreSQL database (the rest embedded).
  ///   - clockSkewMs: how far a region's clock runs ahead (or behind), by region.
  ///   - maxFrameBytes: the regions' `limits.max_frame_bytes`, when not the default.
  static func with<T: Sendable>(
    postgres: Set<String> = [], clockSkewMs: [String: Int64] = [:], otherDomain: Bool = false,
    maxFrameBytes: Int? = nil, _ body: (RegionMesh) async throws -> T
  ) async throws -> T {
    var ports = [String: Int]()
    var identities = [String: SelfSignedCertificate]()
    let other = otherDomain ? try await Self.otherIdentity() : nil
    for name in Self.names {
      ports[name] = try await freePort()
      identities[name] = try SelfSignedCertificate.make(
        commonName: "\(name).\(Self.domain)", dnsNames: [Self.domain], ipAddresses: ["127.0.0.1"])
    }
    let euToUS = try await TCPProxy(targetPort: ports["us"]!)
    let otherToEU = other == nil ? nil : try await TCPProxy(targetPort: ports["eu"]!)
    let euToOther = other == nil ? nil : try await TCPProxy(targetPort: other!.port)
    let otherLinks = [otherToEU, euToOther].compactMap { $0 }
    let usToEU = try await TCPProxy(targetPort: ports["eu"]!)
    let apToEU = try await TCPProxy(targetPort: ports["eu"]!)
    let proxied = ["eu>us": euToUS.port, "us>eu": usToEU.port, "ap>eu": apToEU.port]
    var addresses = [String: String]()
    for from in Self.names {
      for to in Self.names where to != from {
        let port = proxied["\(from)>\(to)"] ?? ports[to]!
        addresses["\(from)>\(to)"] = "127.0.0.1:\(port)"
      }
    }
    var members = [String: RelayMesh.Member]()
    do {
      for name in Self.names {
        let frame = maxFrameBytes.map { ", max_frame_bytes: \($0)" } ?? ""
        var config = "domain: \(Self.domain)\nlimits: { sends_per_second: 1000, send_burst: 1000\(frame) }\n"
        config += "region: { name: \(name), postgres_pool_size: 4, commit_lanes: 2 }\n"
        config += "federation:\n  reconcile_interval_seconds: 2\n  regions:\n"
        for sibling in Self.names where sibling != name {
          config += "    - { name: \(sibling), address: \"\(addresses["\(name)>\(sibling)"]!)\", "
          config += "fingerprint: \(identities[sibling]!.fingerprint) }\n"
        }
        if let other {
          config += "  gateway: eu\n"
          if name == "eu" {
            config += "  peers:\n    - { domain: \(Self.otherDomain), address: \"127.0.0.1:\(euToOther!.port)\", "
            config += "fingerprint: \(other.identity.fingerprint) }\n"
          }
        }
        members[name] = try await RelayMesh.Member.start(
          name: "\(Self.domain)#\(name)", domain: Self.domain, identity: identities[name]!, port: ports[name]!,
          config: config, postgres: postgres.contains(name),
          environment: clockSkewMs[name].map { ["RELAY_CLOCK_SKEW_MS": "\($0)"] } ?? [:])
      }
      var otherMember: RelayMesh.Member?
      if let other {
        var config = "domain: \(Self.otherDomain)\nlimits: { sends_per_second: 1000, send_burst: 1000 }\n"
        config += "federation:\n  reconcile_interval_seconds: 2\n  peers:\n"
        config += "    - { domain: \(Self.domain), address: \"127.0.0.1:\(otherToEU!.port)\", "
        config += "fingerprint: \(identities["eu"]!.fingerprint) }\n"
        otherMember = try await RelayMesh.Member.start(
          name: Self.otherDomain, domain: Self.otherDomain, identity: other.identity, port: other.port, config: config,
          postgres: postgres.contains("other"), environment: [:])
        members["other"] = otherMember
      }
      let mesh = RegionMesh(
        members: members, other: otherMember, partition: [euToUS, usToEU], apToEU: apToEU, otherLinks: otherLinks,
        addresses: addresses)
      try await mesh.waitForLinks()
      let result = try await body(mesh)
      await RelayMesh.Member.stopAll(Array(mesh.members.values))
      for proxy in mesh.partition + [apToEU] { await proxy.close() }
      for proxy in otherLinks { await proxy.close() }
      return result
    } catch {
      await RelayMesh.Member.killAll(Array(members.values))
      await euToUS.close()
      await usToEU.close()
      await apToEU.close()
      for proxy in otherLinks { await proxy.close() }
      throw error
    }
  }
}

extension RegionMesh {
  static func otherIdentity() async throws -> (port: Int, identity: SelfSignedCertificate) {
    (
      try await freePort(),
      try SelfSignedCertificate.make(
        commonName: Self.otherDomain, dnsNames: [Self.otherDomain], ipAddresses: ["127.0.0.1"])
    )
  }
}

extension RelayMesh.Member {
  /// The home this relay's directory records for `user`: (region, version), nil when none.
  func home(of user: String) async throws -> (region: String, version: Int64)? {
    if let url = self.postgresURL {
      return try await TestDatabases.withConnection(url) { connection in
        let rows = try await connection.query(
          "SELECT region, version FROM homes WHERE user_address = \(user)", logger: Logger(label: "test"))
        for try await (region, version) in rows.decode((String, Int64).self) { return (region, version) }
        return nil
      }
    }
    var configuration = Self.sharing
    configuration.readonly = true
    let database = try DatabaseQueue(path: self.relay.directory + "/relay.sqlite", configuration: configuration)
    return try await database.read { db in
      try Row.fetchOne(db, sql: "SELECT region, version FROM homes WHERE user_address = ?", arguments: [user]).map {
        ($0[0], $0[1])
      }
    }
  }
}
