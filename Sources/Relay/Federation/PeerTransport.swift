internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import SwiftASN1
import TLSIdentity
internal import X509

/// The client side of a peering: mutual TLS with the relay's own certificate,
/// accepting only a server whose key has the peer's configured fingerprint.
enum PeerTransport {
  static func make(
    _ peer: RelayConfiguration.Federation.Peer, certificate: RelayCertificate
  ) throws -> HTTP2ClientTransport.Posix {
    let expected = peer.fingerprint
    return try HTTP2ClientTransport.Posix(
      target: Self.target(peer.address),
      transportSecurity: .mTLS(
        certificateChain: [.bytes(Array(certificate.certificatePEM.utf8), format: .pem)],
        privateKey: .bytes(Array(certificate.privateKeyPEM.utf8), format: .pem)
      ) { tls in
        tls.serverCertificateVerification = .noHostnameVerification
        tls.customVerificationCallback = { certificates, promise in
          guard let leaf = certificates.first, let found = try? Fingerprint(nioCertificate: leaf), found == expected
          else {
            promise.fail(NIOSSLError.unableToValidateCertificate)
            return
          }
          promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(certificates))))
        }
      },
      config: .defaults { config in
        config.backoff = .init(initial: .milliseconds(200), max: .seconds(5), multiplier: 2, jitter: 0.2)
      },
      // A call made while the link is reconnecting waits for it (up to the
      // timeout) instead of failing at once: a peer that restarts is a pause.
      serviceConfig: ServiceConfig(methodConfig: [
        MethodConfig(
          names: [MethodConfig.Name(service: "relay.v1.Federation")], waitForReady: true, timeout: .seconds(10)),
        MethodConfig(
          names: [MethodConfig.Name(service: "relay.v1.Federation", method: "Replicate")], waitForReady: true),
      ])
    )
  }

  private static func target(_ address: RelayConfiguration.Listen) -> any ResolvableTarget {
    if address.host.contains(":") { return .ipv6(address: address.host, port: address.port) }
    if address.host.split(separator: ".").count == 4, address.host.allSatisfy({ $0.isNumber || $0 == "." }) {
      return .ipv4(address: address.host, port: address.port)
    }
    return .dns(host: address.host, port: address.port)
  }
}

extension Fingerprint {
  init(nioCertificate: NIOSSLCertificate) throws {
    try self.init(certificate: Certificate(derEncoded: nioCertificate.toDERBytes()))
  }
}
