import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Relay
internal import RelayCore
import TLSIdentity

/// `relay-bench echo-server`: the bare echo service, on the relay's transport
/// and TLS settings, in its own process (started by `relay-bench run`).
struct EchoServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "echo-server", abstract: "Serve the bare echo service (the ceiling).", shouldDisplay: false)

  @Option(help: "Where to write relay-cert.pem.") var dir: String
  @Option(help: "The loopback port to listen on.") var port: Int

  func run() async throws {
    let identity = try SelfSignedCertificate.make(
      commonName: "echo", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let transport = HTTP2ServerTransport.Posix(
      address: .ipv4(host: "127.0.0.1", port: self.port),
      transportSecurity: RelayTransportSecurity.server(
        certificatePEM: try identity.certificatePEM(), privateKeyPEM: identity.privateKeyPEM),
      config: .defaults { config in
        config.rpc.maxRequestPayloadSize = 8 << 20
        TransportTuning.apply(to: &config)
      }
    )
    try Data(try identity.certificatePEM().utf8).write(to: URL(fileURLWithPath: self.dir + "/relay-cert.pem"))
    try await GRPCServer(transport: transport, services: [EchoService()]).serve()
  }
}
