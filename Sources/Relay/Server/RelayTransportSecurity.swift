public import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import RelayCore

/// The relay's server-side TLS: mutual TLS that accepts any client
/// certificate at the handshake (identity is the key's fingerprint, checked
/// per call). Shared with `relay-bench`'s echo server, so the ceiling it
/// measures runs on exactly the relay's transport settings.
public enum RelayTransportSecurity {
  public static func server(
    certificatePEM: String, privateKeyPEM: String
  ) -> HTTP2ServerTransport.Posix.TransportSecurity {
    .mTLS(
      certificateChain: [.bytes(Array(certificatePEM.utf8), format: .pem)],
      privateKey: .bytes(Array(privateKeyPEM.utf8), format: .pem)
    ) { tls in
      tls.clientCertificateVerification = .noHostnameVerification
      tls.customVerificationCallback = { certificates, promise in
        // Identity is the key, proven by the handshake; the directory decides what it may do.
        promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(certificates))))
      }
    }
  }
}
