internal import E2E
internal import Foundation
internal import GRPCCore
internal import GRPCNIOTransportHTTP2
internal import TLSIdentity
internal import Wire

/// A device in code: its keys and state in a home directory, one mutual-TLS
/// connection to its relay, and end-to-end encryption on every message.
///
/// ```swift
/// let registration = try await RelayDevice.register(
///   home: "/tmp/alice", user: "alice@localhost", deviceID: "laptop", server: "127.0.0.1:7443")
/// try await RelayDevice.withDevice(home: "/tmp/alice") { alice in
///   let chat = try await alice.conversationID(for: "bob@localhost")
///   _ = try await alice.send("hi bob", to: chat)
/// }
/// ```
public struct RelayDevice: Sendable {
  typealias RelayClient = Relay_V1_Client.Client<HTTP2ClientTransport.Posix>

  let database: DeviceDatabase
  let local: LocalDevice
  let relay: RelayClient
  public let configuration: Configuration

  /// This device's address, `user@domain/device`.
  public var address: String { self.local.address }
  public var user: String { self.local.user }

  /// What a registration made.
  public struct Registration: Sendable {
    public var device: String
    /// The pinned relay certificate's key fingerprint (hex).
    public var relayFingerprint: String
    /// This device's own key fingerprint (hex): its identity to the relay.
    public var deviceFingerprint: String
  }

  /// Makes a device in `home` (keys, certificate, prekeys) and registers it.
  /// - Parameters:
  ///   - server: `HOST:PORT` of the relay.
  ///   - serverFingerprint: pin this relay key fingerprint instead of trusting the first one seen.
  ///   - invite: an invite code, when the relay requires one for new users.
  ///   - link: a link code from an existing device of the same user (`linkCode()`).
  public static func register(
    home: String, user: String, deviceID: String, server: String, serverFingerprint: String? = nil,
    invite: String? = nil, link: String? = nil, configuration: Configuration = .defaults
  ) async throws(ClientError) -> Registration {
    let database = try DeviceDatabase(home: home)
    if (try? database.device()) != nil {
      throw ClientError(.alreadyRegistered, "\(home) already holds a device")
    }
    let (host, port) = try RelayEndpoint.parse(server)
    let tls: SelfSignedCertificate
    let certificatePEM: String
    do {
      tls = try SelfSignedCertificate.make(commonName: "\(user)/\(deviceID)")
      certificatePEM = try tls.certificatePEM()
    } catch {
      throw ClientError(.storage, "making the device certificate failed", cause: error)
    }
    let (endpoint, relayFingerprint) = try await RelayEndpoint.pin(
      host: host, port: port, expected: serverFingerprint, certificatePEM: certificatePEM,
      privateKeyPEM: tls.privateKeyPEM)
    let identity = IdentityKeyPair()
    let lastResort = KemPrekeyPair(id: 2, signedBy: identity)
    let prekeys = PrekeyBatch(count: configuration.prekeyBatch, firstID: 3, signedBy: identity)
    let device = LocalDevice(
      user: user, deviceID: deviceID, certificatePEM: certificatePEM, privateKeyPEM: tls.privateKeyPEM,
      relay: endpoint, identity: identity, signedPrekey: SignedPrekeyPair(id: 1, signedBy: identity),
      lastResortKemID: lastResort.id, nextPrekeyID: prekeys.nextID, registered: false, cursor: 0)

    var request = Relay_V1_RegisterRequest()
    request.user = user
    request.deviceID = deviceID
    request.inviteCode = invite ?? ""
    request.linkCode = link ?? ""
    request.identityKey = .init(identity.publicKey)
    request.signedPrekey = .init(device.signedPrekey)
    request.lastResortKemPrekey = .init(lastResort)
    request.oneTimePrekeys = prekeys.oneTime.map { .init($0) }
    request.oneTimeKemPrekeys = prekeys.kem.map { .init($0) }
    let response = try await Self.call("register") {
      try await withGRPCClient(
        transport: DeviceTransport.make(
          endpoint, certificatePEM: certificatePEM, privateKeyPEM: tls.privateKeyPEM,
          callTimeout: configuration.callTimeout)
      ) { client in try await RelayClient(wrapping: client).register(request) }
    }
    try database.create(device, lastResortKem: lastResort, prekeys: prekeys)
    try database.markRegistered()
    return Registration(
      device: response.device, relayFingerprint: relayFingerprint, deviceFingerprint: response.fingerprint)
  }

  /// Opens the device in `home` and connects it to its relay for the duration of `body`.
  public static func withDevice<T: Sendable>(
    home: String, configuration: Configuration = .defaults, _ body: (RelayDevice) async throws -> T
  ) async throws -> T {
    let database = try DeviceDatabase(home: home)
    let local = try database.device()
    let transport = try DeviceTransport.make(
      local.relay, certificatePEM: local.certificatePEM, privateKeyPEM: local.privateKeyPEM,
      callTimeout: configuration.callTimeout)
    let client = GRPCClient(transport: transport)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      // A body that makes no call may end before the connections ever start;
      // their "already stopped" error then means nothing, so it is not rethrown.
      group.addTask { try? await client.runConnections() }
      defer { client.beginGracefulShutdown() }
      return try await body(
        RelayDevice(
          database: database, local: local, relay: RelayClient(wrapping: client), configuration: configuration))
    }
  }

  /// Runs a relay call, turning its failure into a ``ClientError`` that names it.
  static func call<T>(_ what: String, _ body: () async throws -> T) async throws(ClientError) -> T {
    do {
      return try await body()
    } catch let error as ClientError {
      throw error
    } catch let error as RPCError {
      if let home = ClientError.Home(redirect: error) {
        var redirect = ClientError(.homedElsewhere, "\(what): \(error.message)", cause: error)
        redirect.home = home
        throw redirect
      }
      let detail = error.cause.map { " (\($0))" } ?? ""
      throw ClientError(.relayRefused, "\(what): \(error.code): \(error.message)\(detail)")
    } catch {
      throw ClientError(.relayRefused, "\(what) failed", cause: error)
    }
  }
}
