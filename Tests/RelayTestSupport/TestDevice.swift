import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Relay
import RelaySDK
import SwiftProtobuf
import TLSIdentity
import Wire

typealias RelayClient = Relay_V1_Client.Client<HTTP2ClientTransport.Posix>

/// A device as a client sees itself: its own key and self-signed certificate,
/// and the public keys it publishes (random bytes of the right sizes: the
/// relay checks sizes, never signatures).
struct TestDevice: Sendable {
  let user: String
  let deviceID: String
  let certificatePEM: String
  let privateKeyPEM: String
  /// The identity the relay should see: the key's fingerprint, in hex.
  let fingerprint: String

  init(_ user: String, _ deviceID: String = "phone") {
    let identity = try! SelfSignedCertificate.make(commonName: "\(user)/\(deviceID)")
    self.init(
      user, deviceID, certificatePEM: try! identity.certificatePEM(), privateKeyPEM: identity.privateKeyPEM,
      fingerprint: identity.fingerprint.description)
  }

  init(_ user: String, _ deviceID: String, certificatePEM: String, privateKeyPEM: String, fingerprint: String) {
    self.user = user
    self.deviceID = deviceID
    self.certificatePEM = certificatePEM
    self.privateKeyPEM = privateKeyPEM
    self.fingerprint = fingerprint
  }

  var address: String { "\(self.user)/\(self.deviceID)" }

  /// Connects to `relay` over mutual TLS, trusting only the relay's certificate.
  func withClient<T: Sendable>(_ relay: TestRelay, _ body: (RelayClient) async throws -> T) async throws -> T {
    try await self.withConnection(relay) { try await body(RelayClient(wrapping: $0)) }
  }

  /// The bare gRPC client, for other services on the same connection (health).
  func withConnection<T: Sendable>(
    _ relay: TestRelay, _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
  ) async throws -> T {
    try await self.withConnection(port: relay.port, relayCertificatePEM: relay.certificatePEM, body)
  }

  /// The bare gRPC client to the relay on loopback `port` whose certificate is `relayCertificatePEM`.
  func withConnection<T: Sendable>(
    port: Int, relayCertificatePEM: String, _ body: (GRPCClient<HTTP2ClientTransport.Posix>) async throws -> T
  ) async throws -> T {
    // A unary call that never answers fails the test with DEADLINE_EXCEEDED
    // (30 s, scaled by Patience), naming the call, instead of stalling the run.
    let transport = try DeviceTransport.make(
      host: "127.0.0.1", port: port, relayCertificatePEM: relayCertificatePEM,
      certificatePEM: self.certificatePEM, privateKeyPEM: self.privateKeyPEM,
      callTimeout: .seconds(30) * Patience.scale)
    return try await withGRPCClient(transport: transport) { client in try await body(client) }
  }

  /// A registration request with fresh public keys and `oneTime` one-time prekeys of each kind.
  func registerRequest(oneTime: Int = 5, invite: String = "", link: String = "") -> Relay_V1_RegisterRequest {
    var request = Relay_V1_RegisterRequest()
    request.user = self.user
    request.deviceID = self.deviceID
    request.inviteCode = invite
    request.linkCode = link
    request.identityKey.signingKey = randomBytes(32)
    request.identityKey.agreementKey = randomBytes(32)
    request.signedPrekey = .with {
      $0.keyID = 1
      $0.publicKey = randomBytes(32)
      $0.signature = randomBytes(64)
    }
    request.lastResortKemPrekey = kemPrekey(id: 1)
    request.oneTimePrekeys = (0 ..< oneTime).map { index in
      .with {
        $0.keyID = UInt32(100 + index)
        $0.publicKey = randomBytes(32)
      }
    }
    request.oneTimeKemPrekeys = (0 ..< oneTime).map { kemPrekey(id: UInt32(200 + $0)) }
    return request
  }

  @discardableResult
  func register(
    _ client: RelayClient, oneTime: Int = 5, invite: String = "", link: String = ""
  ) async throws -> Relay_V1_RegisterResponse {
    try await client.register(self.registerRequest(oneTime: oneTime, invite: invite, link: link))
  }
}

func kemPrekey(id: UInt32) -> Relay_V1_KemPrekey {
  .with {
    $0.keyID = id
    $0.publicKey = randomBytes(KeySizes.mlkem768PublicKey)
    $0.signature = randomBytes(64)
  }
}

func randomBytes(_ count: Int) -> Data {
  var generator = SystemRandomNumberGenerator()
  return Data((0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
}

func newMessageID() -> String { UUID().uuidString.lowercased() }
