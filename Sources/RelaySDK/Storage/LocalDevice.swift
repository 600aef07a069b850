internal import E2E
internal import Foundation

/// This device as its database describes it: who it is, which relay it
/// trusts, and its long-term keys.
struct LocalDevice: Sendable {
  var user: String
  var deviceID: String
  var certificatePEM: String
  var privateKeyPEM: String
  var relay: RelayEndpoint
  var identity: IdentityKeyPair
  var signedPrekey: SignedPrekeyPair
  var lastResortKemID: UInt32
  var nextPrekeyID: UInt32
  var registered: Bool
  var cursor: UInt64

  var address: String { "\(self.user)/\(self.deviceID)" }
}
