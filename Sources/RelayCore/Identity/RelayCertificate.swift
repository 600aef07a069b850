internal import Foundation
internal import SwiftASN1
package import TLSIdentity
internal import X509

/// The relay's own TLS certificate and key, as PEM, with the key's fingerprint.
///
/// From the files the config names, or, for the embedded default, generated on
/// first start (SANs: `localhost`, `127.0.0.1`, `::1` and the relay's domain)
/// and kept as `relay-cert.pem` / `relay-key.pem` in the data directory.
package struct RelayCertificate: Sendable {
  package var certificatePEM: String
  package var privateKeyPEM: String
  package var fingerprint: Fingerprint

  package static func load(_ config: RelayConfiguration) throws(RelayError) -> RelayCertificate {
    if let certPath = config.tls.certificateChainPath, let keyPath = config.tls.privateKeyPath {
      return try Self.read(certificate: certPath, key: keyPath)
    }
    let certPath = config.dataDirectory + "/relay-cert.pem"
    let keyPath = config.dataDirectory + "/relay-key.pem"
    if FileManager.default.fileExists(atPath: certPath) {
      return try Self.read(certificate: certPath, key: keyPath)
    }
    do {
      try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
      let made = try SelfSignedCertificate.make(
        commonName: config.domain,
        dnsNames: Array(Set(["localhost", config.domain])).sorted(),
        ipAddresses: ["127.0.0.1", "::1"]
      )
      let cert = try made.certificatePEM()
      try Data(made.privateKeyPEM.utf8).write(to: URL(fileURLWithPath: keyPath), options: .atomic)
      try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
      try Data(cert.utf8).write(to: URL(fileURLWithPath: certPath), options: .atomic)
      return RelayCertificate(certificatePEM: cert, privateKeyPEM: made.privateKeyPEM, fingerprint: made.fingerprint)
    } catch {
      throw RelayError(.internal, "cannot create the relay certificate in \(config.dataDirectory)", cause: error)
    }
  }

  private static func read(certificate: String, key: String) throws(RelayError) -> RelayCertificate {
    let certPEM: String
    let keyPEM: String
    do {
      certPEM = try String(contentsOfFile: certificate, encoding: .utf8)
      keyPEM = try String(contentsOfFile: key, encoding: .utf8)
    } catch {
      throw RelayError(
        .invalidArgument, "cannot read the relay certificate or key (\(certificate), \(key))", cause: error)
    }
    do {
      let leaf = try Certificate(pemEncoded: certPEM)
      return RelayCertificate(
        certificatePEM: certPEM, privateKeyPEM: keyPEM, fingerprint: try Fingerprint(certificate: leaf))
    } catch {
      throw RelayError(.invalidArgument, "the relay certificate \(certificate) is not a PEM certificate", cause: error)
    }
  }
}
