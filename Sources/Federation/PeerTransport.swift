internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import RelayCore
internal import SwiftASN1
internal import TLSIdentity
internal import X509

/// The client side of a peering: mutual TLS with the relay's own certificate,
/// accepting only a server whose key has the peer's configured fingerprint.
enum PeerTransport {
  /// A ping this long after the last frame read; the link is closed when none comes back within the timeout.
  static let keepaliveTime: Duration = .seconds(20)
  static let keepaliveTimeout: Duration = .seconds(10)

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
        // A peer that stops answering (half-open TCP, a frozen process) is
        // found by HTTP/2 pings within 30 s, not when TCP gives up: the link
        // reconnects and replication resumes from the outbox.
        config.connection.keepalive = .init(
          time: PeerTransport.keepaliveTime, timeout: PeerTransport.keepaliveTimeout, allowWithoutCalls: true)
      },
      // A call made while the link is reconnecting waits for it (up to the
      // timeout) instead of failing at once: a peer that restarts is a pause.
      // `Replicate` alone fails when a connection attempt fails: the link then
      // knows the peer is down (``PeerLink/knownDown``), and retries it itself.
      serviceConfig: ServiceConfig(methodConfig: [
        MethodConfig(
          names: [MethodConfig.Name(service: "relay.v1.Federation")], waitForReady: true, timeout: .seconds(10)),
        MethodConfig(
          names: [MethodConfig.Name(service: "relay.v1.Federation", method: "Replicate")], waitForReady: false),
      ])
    )
  }

  /// An address literal is connected to as such (no SNI); a name is resolved.
  private static func target(_ address: RelayConfiguration.Listen) -> any ResolvableTarget {
    switch HostAddress(address.host) {
    case .ipv4(let literal): .ipv4(address: literal, port: address.port)
    case .ipv6(let literal): .ipv6(address: literal, port: address.port)
    case .name(let host): .dns(host: host, port: address.port)
    }
  }
}

extension Fingerprint {
  init(nioCertificate: NIOSSLCertificate) throws {
    try self.init(certificate: Certificate(derEncoded: nioCertificate.toDERBytes()))
  }
}
