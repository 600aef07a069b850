public import Crypto
internal import Foundation
internal import SwiftASN1
public import X509

/// A freshly generated P-256 key and a self-signed certificate for it.
///
/// Devices identify themselves with one (their identity is the key's
/// ``Fingerprint``); the embedded relay makes one for itself on first start.
///
/// ```swift
/// let identity = try SelfSignedCertificate.make(commonName: "alice phone")
/// print(identity.fingerprint)
/// ```
public struct SelfSignedCertificate: Sendable {
  public let certificate: Certificate
  public let privateKey: P256.Signing.PrivateKey

  /// The key's fingerprint (our own P-256 key always serializes, hence `try!`).
  public var fingerprint: Fingerprint { try! Fingerprint(certificate: self.certificate) }

  /// The certificate in PEM.
  public func certificatePEM() throws -> String { try self.certificate.serializeAsPEM().pemString }

  /// The private key in PEM (PKCS#8).
  public var privateKeyPEM: String { self.privateKey.pemRepresentation }

  /// Makes a key and a certificate valid from an hour ago for `validity`.
  /// - Parameters:
  ///   - commonName: the subject's common name (informational only).
  ///   - dnsNames: DNS subject alternative names (for a server).
  ///   - ipAddresses: IPv4/IPv6 subject alternative names, as text.
  public static func make(
    commonName: String,
    dnsNames: [String] = [],
    ipAddresses: [String] = [],
    validity: Duration = .seconds(10 * 365 * 86_400)
  ) throws -> SelfSignedCertificate {
    let key = P256.Signing.PrivateKey()
    let name = try DistinguishedName { CommonName(commonName) }
    var sans: [GeneralName] = dnsNames.map { .dnsName($0) }
    for ip in ipAddresses {
      if let bytes = HostAddress(ip).ipBytes { sans.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...]))) }
    }
    let now = Date()
    let extensions = try Certificate.Extensions {
      // Self-signed and trusted directly (pinned), like `openssl req -x509`:
      // BoringSSL refuses a trust anchor marked CA:FALSE.
      Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
      KeyUsage(digitalSignature: true, keyCertSign: true)
      try ExtendedKeyUsage([.serverAuth, .clientAuth])
      if !sans.isEmpty { SubjectAlternativeNames(sans) }
    }
    let certificate = try Certificate(
      version: .v3,
      serialNumber: Certificate.SerialNumber(),
      publicKey: .init(key.publicKey),
      notValidBefore: now.addingTimeInterval(-3600),
      notValidAfter: now.addingTimeInterval(Double(validity.components.seconds)),
      issuer: name,
      subject: name,
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: extensions,
      issuerPrivateKey: .init(key)
    )
    return SelfSignedCertificate(certificate: certificate, privateKey: key)
  }
}
