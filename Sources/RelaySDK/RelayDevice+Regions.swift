internal import GRPCCore

/// Regions of one domain (docs/regions.md): a region that does not home the
/// user answers `FAILED_PRECONDITION` with where the home is; the SDK turns
/// that into ``ClientError/Code/homedElsewhere`` with ``ClientError/home``.
extension RelayDevice {
  /// Makes the home region named by a redirect this device's relay: pins the
  /// certificate it presents, refused unless its key is the one the
  /// redirecting region vouched for. Open the device again to use it.
  public static func follow(_ home: ClientError.Home, home path: String) async throws(ClientError) {
    let database = try DeviceDatabase(home: path)
    let local = try database.device()
    let (host, port) = try RelayEndpoint.parse(home.address)
    let (endpoint, _) = try await RelayEndpoint.pin(
      host: host, port: port, expected: home.fingerprint, certificatePEM: local.certificatePEM,
      privateKeyPEM: local.privateKeyPEM)
    try database.setRelay(endpoint)
  }
}

extension ClientError.Home {
  /// The redirect a region's `FAILED_PRECONDITION` carries in its trailers; nil for any other error.
  init?(redirect error: RPCError) {
    guard error.code == .failedPrecondition,
      let region = error.metadata[stringValues: "relay-home-region"].first(where: { _ in true }),
      let address = error.metadata[stringValues: "relay-home-address"].first(where: { _ in true }),
      let fingerprint = error.metadata[stringValues: "relay-home-fingerprint"].first(where: { _ in true })
    else { return nil }
    self.init(region: region, address: address, fingerprint: fingerprint)
  }
}
