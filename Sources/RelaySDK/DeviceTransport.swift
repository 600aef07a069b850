internal import Foundation
internal import GRPCCore
public import GRPCNIOTransportHTTP2
internal import TLSIdentity

/// The gRPC transport for a device: mutual TLS with the device's own
/// certificate, trusting only the relay's pinned certificate; unary calls
/// time out after `callTimeout` (30 s unless told), the session stream never does.
public enum DeviceTransport {
  public static func make(
    host: String, port: Int, relayCertificatePEM: String, certificatePEM: String, privateKeyPEM: String,
    callTimeout: Duration = .seconds(30)
  ) throws -> HTTP2ClientTransport.Posix {
    try Self.make(
      RelayEndpoint(host: host, port: port, certificatePEM: relayCertificatePEM), certificatePEM: certificatePEM,
      privateKeyPEM: privateKeyPEM, callTimeout: callTimeout)
  }

  static func make(
    _ relay: RelayEndpoint, certificatePEM: String, privateKeyPEM: String, callTimeout: Duration
  ) throws -> HTTP2ClientTransport.Posix {
    try HTTP2ClientTransport.Posix(
      target: Self.target(relay),
      transportSecurity: .mTLS(
        certificateChain: [.bytes(Array(certificatePEM.utf8), format: .pem)],
        privateKey: .bytes(Array(privateKeyPEM.utf8), format: .pem)
      ) { tls in
        tls.trustRoots = .certificates([.bytes(Array(relay.certificatePEM.utf8), format: .pem)])
        tls.serverCertificateVerification = .noHostnameVerification
      },
      serviceConfig: ServiceConfig(methodConfig: [
        MethodConfig(names: [MethodConfig.Name(service: "relay.v1.Client")], timeout: callTimeout),
        MethodConfig(names: [MethodConfig.Name(service: "relay.v1.Client", method: "Connect")]),
      ])
    )
  }

  /// An address literal is connected to as such (no SNI); a name is resolved.
  static func target(_ relay: RelayEndpoint) -> any ResolvableTarget {
    switch HostAddress(relay.host) {
    case .ipv4(let address): .ipv4(address: address, port: relay.port)
    case .ipv6(let address): .ipv6(address: address, port: relay.port)
    case .name(let host): .dns(host: host, port: relay.port)
    }
  }
}
