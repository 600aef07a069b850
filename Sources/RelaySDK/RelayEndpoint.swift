internal import Foundation
internal import NIOCore
internal import NIOPosix
internal import NIOSSL
internal import SwiftASN1
internal import TLSIdentity
internal import X509

/// A relay's address and the certificate this device pinned for it.
struct RelayEndpoint: Sendable, Equatable {
  var host: String
  var port: Int
  var certificatePEM: String

  /// Parses `HOST:PORT`.
  static func parse(_ server: String) throws(ClientError) -> (host: String, port: Int) {
    guard let colon = server.lastIndex(of: ":"), let port = Int(server[server.index(after: colon)...]),
      (1 ... 65_535).contains(port), colon != server.startIndex
    else { throw ClientError(.invalidArgument, "the server must be HOST:PORT, not \(server)") }
    return (String(server[..<colon]), port)
  }

  /// Trust on first use: connects once, takes the certificate the relay
  /// presents and, when `expected` is given, refuses it unless its key's
  /// fingerprint matches.
  static func pin(
    host: String, port: Int, expected: String?, certificatePEM: String, privateKeyPEM: String
  ) async throws(ClientError) -> (endpoint: RelayEndpoint, fingerprint: String) {
    let presented: Certificate
    do {
      presented = try await Self.presentedCertificate(
        host: host, port: port, certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
    } catch {
      throw ClientError(.relayRefused, "could not reach \(host):\(port) over TLS", cause: error)
    }
    let fingerprint: String
    let pem: String
    do {
      fingerprint = try Fingerprint(certificate: presented).description
      pem = try presented.serializeAsPEM().pemString
    } catch {
      throw ClientError(.untrustedRelay, "the relay's certificate does not parse", cause: error)
    }
    if let expected, Fingerprint(hex: expected)?.description != fingerprint {
      throw ClientError(
        .untrustedRelay, "the relay presented a certificate with fingerprint \(fingerprint), not the expected one")
    }
    return (RelayEndpoint(host: host, port: port, certificatePEM: pem), fingerprint)
  }

  private static func presentedCertificate(
    host: String, port: Int, certificatePEM: String, privateKeyPEM: String
  ) async throws -> Certificate {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.certificateVerification = .noHostnameVerification
    tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
    tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
    tls.applicationProtocols = ["h2"]
    let context = try NIOSSLContext(configuration: tls)
    let group = MultiThreadedEventLoopGroup.singleton
    let presented = group.any().makePromise(of: [UInt8].self)
    let channel = try await ClientBootstrap(group: group)
      .connectTimeout(.seconds(10))
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          let handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, verdict in
            if let leaf = certificates.first, let der = try? leaf.toDERBytes() {
              presented.succeed(der)
            } else {
              presented.fail(ClientError(.untrustedRelay, "the relay presented no certificate"))
            }
            verdict.succeed(.certificateVerified)
          }
          try channel.pipeline.syncOperations.addHandler(handler)
        }
      }
      .connect(host: host, port: port).get()
    defer { channel.close(promise: nil) }
    channel.closeFuture.whenComplete { _ in
      presented.fail(ClientError(.untrustedRelay, "the connection closed before the relay presented a certificate"))
    }
    return try Certificate(derEncoded: try await presented.futureResult.get())
  }
}
