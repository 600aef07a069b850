import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Relay
internal import RelayCore
import SwiftProtobuf
import TLSIdentity
import Wire

/// Where the load goes: a relay (or the echo server) on loopback, trusted by its certificate.
struct BenchTarget: Sendable {
  var host: String
  var port: Int
  var certificatePEM: String
  /// The server's process, whose CPU time the workloads measure.
  var pid: Int32
}

/// A device as the load generator plays it: its own key and certificate (its
/// identity), one connection, and keys of the right sizes (the relay checks
/// sizes only).
struct BenchDevice: Sendable {
  let user: String
  let deviceID: String
  let certificatePEM: String
  let privateKeyPEM: String

  init(user: String, deviceID: String = "bench") throws {
    let identity = try SelfSignedCertificate.make(commonName: "\(user)/\(deviceID)")
    self.user = user
    self.deviceID = deviceID
    self.certificatePEM = try identity.certificatePEM()
    self.privateKeyPEM = identity.privateKeyPEM
  }

  var address: String { "\(self.user)/\(self.deviceID)" }

  func transport(_ target: BenchTarget) throws -> HTTP2ClientTransport.Posix {
    try HTTP2ClientTransport.Posix(
      target: .ipv4(address: target.host, port: target.port),
      transportSecurity: .mTLS(
        certificateChain: [.bytes(Array(self.certificatePEM.utf8), format: .pem)],
        privateKey: .bytes(Array(self.privateKeyPEM.utf8), format: .pem)
      ) { tls in
        tls.trustRoots = .certificates([.bytes(Array(target.certificatePEM.utf8), format: .pem)])
        tls.serverCertificateVerification = .noHostnameVerification
      },
      config: .defaults { $0.http2.targetWindowSize = 1 << 20 }
    )
  }

  func registerRequest() -> Relay_V1_RegisterRequest {
    var request = Relay_V1_RegisterRequest()
    request.user = self.user
    request.deviceID = self.deviceID
    request.identityKey.signingKey = Data(count: KeySizes.curve25519PublicKey)
    request.identityKey.agreementKey = Data(count: KeySizes.curve25519PublicKey)
    request.signedPrekey.publicKey = Data(count: KeySizes.curve25519PublicKey)
    request.signedPrekey.signature = Data(count: KeySizes.ed25519Signature)
    request.lastResortKemPrekey.publicKey = Data(count: KeySizes.mlkem768PublicKey)
    request.lastResortKemPrekey.signature = Data(count: KeySizes.ed25519Signature)
    return request
  }
}

/// Runs `body` with a connected client for each device, all connections open at once.
func withClients<T: Sendable>(
  _ devices: [BenchDevice], _ target: BenchTarget,
  _ body: @Sendable ([Relay_V1_Client.Client<HTTP2ClientTransport.Posix>]) async throws -> T
) async throws -> T {
  try await withThrowingTaskGroup(of: Void.self) { group in
    var clients = [GRPCClient<HTTP2ClientTransport.Posix>]()
    for device in devices {
      let client = GRPCClient(transport: try device.transport(target))
      clients.append(client)
      group.addTask { try await client.runConnections() }
    }
    defer { clients.forEach { $0.beginGracefulShutdown() } }
    return try await body(clients.map { Relay_V1_Client.Client(wrapping: $0) })
  }
}

/// A monotonic clock in nanoseconds, comparable across tasks of this process.
@inline(__always) func monotonicNanoseconds() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// A message body the benchmark can time: the send time, padded to `size` bytes.
func timedPayload(size: Int) -> Data {
  var data = Data(count: max(size, 8))
  var now = monotonicNanoseconds().littleEndian
  withUnsafeBytes(of: &now) { data.replaceSubrange(0 ..< 8, with: $0) }
  return data
}

func sentAt(_ payload: Data) -> UInt64 {
  guard payload.count >= 8 else { return 0 }
  return payload.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
}
