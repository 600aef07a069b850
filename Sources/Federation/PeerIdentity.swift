package import GRPCCore
internal import GRPCNIOTransportHTTP2
package import RelayCore
package import TLSIdentity

/// Reads who is calling from the mutual-TLS handshake of the call's connection.
package enum PeerIdentity {
  /// The fingerprint of the key in the client's certificate.
  package static func fingerprint(of context: ServerContext) throws(RelayError) -> Fingerprint {
    guard let tls = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
      let certificate = tls.peerCertificate
    else {
      throw RelayError(.unauthenticated, "a client certificate is required (mutual TLS)")
    }
    do {
      return try Fingerprint(certificate: certificate)
    } catch {
      throw RelayError(.unauthenticated, "the client certificate's public key cannot be read", cause: error)
    }
  }
}
