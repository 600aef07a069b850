import Foundation
import GRPCCore
import NIOCore
import NIOPosix
import SwiftProtobuf
import Synchronization
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("The relay command", .timeLimit(Patience.minutes(3)))
struct CommandLineTests {
  @Test("startup errors are one line on stderr and exit code 1")
  func startupErrors() async throws {
    let directory = makeTemporaryDirectory()
    let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0)
      .get()
    defer { taken.close(promise: nil) }
    let port = taken.localAddress!.port!
    let badConfig = directory + "/bad.yaml"
    try Data("limits: { sends_per_secnd: 3 }\n".utf8).write(to: URL(fileURLWithPath: badConfig))
    let notADirectory = directory + "/file"
    try Data().write(to: URL(fileURLWithPath: notADirectory))
    let cases: [([String], String)] = [
      (["serve", "--data-dir", directory + "/d1", "--listen", "127.0.0.1:\(port)"], "already in use"),
      (["serve", "--data-dir", directory + "/d2", "--config", badConfig], "unknown config key 'sends_per_secnd'"),
      (["serve", "--data-dir", notADirectory], "is not a directory"),
      // Nothing listens on port 1: the migrations cannot run, and the node says so instead of waiting forever.
      (["serve", "--data-dir", directory + "/d5", "--postgres", "postgres://relay@127.0.0.1:1/relay"], "database"),
      (["serve", "--data-dir", directory + "/d3", "--listen", "nowhere"], "HOST:PORT"),
      (["serve", "--data-dir", directory + "/d4", "--config", directory + "/missing.yaml"], "cannot read config file"),
    ]
    for (arguments, expected) in cases {
      let result = try await runProgram(relayExecutable, arguments)
      #expect(result.status == 1, "\(arguments)")
      // One line, except that a region node may have logged that its database is unreachable first.
      let lines = result.output.split(separator: "\n").filter { !$0.contains("a shared dependency is unreachable") }
      #expect(
        lines.count == 1 && lines[0].hasPrefix("relay: ") && lines[0].contains(expected), "\(result.output)")
    }
  }

  @Test(
    "relay serve runs the embedded default; invite codes work; a config file's relative data_dir is relative to the file; SIGTERM shuts it down cleanly"
  )
  func serveAndInvite() async throws {
    let root = makeTemporaryDirectory()
    let directory = root + "/data"
    try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    let config = root + "/etc/relay.yaml"
    try Data("data_dir: ../data\nregistration: { policy: invite }\n".utf8).write(to: URL(fileURLWithPath: config))
    let invite = try await runProgram(relayExecutable, ["invite", "--data-dir", directory, "--count", "2"])
    #expect(invite.status == 0)
    let codes = invite.output.split(separator: "\n").map(String.init)
    #expect(codes.count == 2 && codes.allSatisfy { $0.count == 20 })

    let port = try await freePort()
    let relay = try ChildProcess(
      relayExecutable, ["serve", "--config", config, "--listen", "127.0.0.1:\(port)"])

    // Wait until it listens, then use it as a device would.
    try await relay.waitForOutput("relay listening")
    let relayPEM = try String(contentsOfFile: directory + "/relay-cert.pem", encoding: .utf8)
    let alice = TestDevice("alice@localhost")
    let target = TestRelay(
      port: port, dataDirectory: directory, certificatePEM: relayPEM, store: nil
    ) {}
    try await alice.withClient(target) { client in
      #expect(await statusCode { try await alice.register(client) } == .permissionDenied)
      try await alice.register(client, invite: codes[0])
    }
    #expect(await relay.stop(SIGTERM) == 0)
    let log = relay.output
    #expect(log.contains("relay listening") && log.contains("fingerprint="), "\(log)")
  }
}

@Suite("The certs/ scripts", .timeLimit(Patience.minutes(3)))
struct CertificateScriptTests {
  func script(_ name: String, _ arguments: [String]) async throws -> [String: String] {
    let result = try await runProgram(packageRoot + "/certs/" + name, arguments)
    #expect(result.status == 0, "\(result.output)")
    var fields = [String: String]()
    for line in result.output.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if parts.count == 2 { fields[parts[0]] = parts[1] }
    }
    return fields
  }

  @Test("a relay certificate from the dev CA and a device certificate from openssl work, with matching fingerprints")
  func openSSLIdentities() async throws {
    let directory = makeTemporaryDirectory()
    _ = try await self.script("make-dev-ca.sh", [directory + "/ca"])
    let relayCert = try await self.script(
      "make-relay-cert.sh", ["relay.example", directory + "/relay", "--ca", directory + "/ca"])
    let device = try await self.script("make-device-cert.sh", ["alice phone", directory + "/device"])
    try await withRelay(configure: { config in
      config.domain = "relay.example"
      config.tls.certificateChainPath = directory + "/relay/relay-cert.pem"
      config.tls.privateKeyPath = directory + "/relay/relay-key.pem"
    }) { relay in
      #expect(
        relay.certificatePEM == (try String(contentsOfFile: directory + "/relay/relay-cert.pem", encoding: .utf8)))
      let trustingCA = TestRelay(
        port: relay.port, dataDirectory: relay.dataDirectory,
        certificatePEM: try String(contentsOfFile: directory + "/ca/ca-cert.pem", encoding: .utf8), store: relay.store,
        shutdown: relay.shutdown)
      let alice = TestDevice(
        "alice@relay.example", "phone",
        certificatePEM: try String(contentsOfFile: directory + "/device/device-cert.pem", encoding: .utf8),
        privateKeyPEM: try String(contentsOfFile: directory + "/device/device-key.pem", encoding: .utf8),
        fingerprint: device["fingerprint"] ?? "")
      try await alice.withClient(trustingCA) { client in
        let registered = try await alice.register(client)
        #expect(registered.fingerprint == device["fingerprint"])
      }
      #expect(relayCert["fingerprint"]?.count == 64)
    }
  }
}
