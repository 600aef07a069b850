import Foundation
import TLSIdentity
import Testing

@testable import RelayTestSupport

extension RelayMesh.Member {
  /// Writes the relay's certificate, key and config (`config` plus an admin
  /// listener) into a new directory and starts `relay serve` there, on a new
  /// PostgreSQL database when `postgres` says so.
  static func start(
    name: String, domain: String, identity: SelfSignedCertificate, port: Int, config: String, postgres: Bool,
    environment: [String: String]
  ) async throws -> Self {
    let directory = makeTemporaryDirectory() + "/" + name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let certificate = try identity.certificatePEM()
    try certificate.write(toFile: directory + "/relay-cert.pem", atomically: true, encoding: .utf8)
    try identity.privateKeyPEM.write(toFile: directory + "/relay-key.pem", atomically: true, encoding: .utf8)
    let adminPort = try await freePort()
    let configPath = directory + "/relay.yaml"
    try (config + "metrics: { listen: \"127.0.0.1:\(adminPort)\" }\n").write(
      toFile: configPath, atomically: true, encoding: .utf8)
    let postgresURL = postgres ? try await TestDatabases.makePostgresDatabase() : nil
    let arguments = ["--config", configPath] + (postgresURL.map { ["--postgres", $0] } ?? [])
    let process = try await ServedRelay.start(
      directory: directory, port: port, arguments: arguments, environment: environment)
    return Self(
      name: name, domain: domain,
      relay: ServedRelay(
        process: process, port: port, directory: directory, arguments: arguments, environment: environment),
      certificatePEM: certificate, privateKeyPEM: identity.privateKeyPEM, fingerprint: identity.fingerprint,
      configPath: configPath, adminPort: adminPort, postgresURL: postgresURL)
  }

  /// Stops each relay (expecting a clean exit) after a test that passed.
  static func stopAll(_ members: [Self]) async {
    for member in members {
      #expect(await member.relay.stop() == 0, "\(member.name) stops cleanly: \(member.relay.log.suffix(1500))")
    }
  }

  /// Kills each relay after a test that failed, printing the end of its log.
  static func killAll(_ members: [Self]) async {
    for member in members.sorted(by: { $0.name < $1.name }) {
      await member.relay.kill()
      print("--- \(member.name) log (the test failed) ---\n\(member.relay.log.suffix(3000))")
    }
  }

  /// A counter from the relay's `/metrics` (0 before it was ever incremented).
  func counter(_ name: String) async throws -> Int {
    let metrics = try await httpGet(port: self.adminPort, path: "/metrics").body
    let line = metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }
    return line.flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
  }
}
