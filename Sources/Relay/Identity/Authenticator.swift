internal import Federation
internal import GRPCCore
internal import RelayCore
internal import Synchronization
import TLSIdentity
internal import Wire

/// Finds the registered device behind a call's client certificate.
///
/// Registrations are never revoked by this relay, so found devices are cached
/// by fingerprint; unknown fingerprints are looked up every time, because they
/// may register at any moment.
final class Authenticator: Sendable {
  private let store: any RelayStore
  private let cache = Mutex<[Fingerprint: DeviceRecord]>([:])

  init(store: any RelayStore) { self.store = store }

  /// The calling device; `unauthenticated` when its key is not registered.
  func device(of context: ServerContext) async throws -> DeviceRecord {
    let fingerprint = try PeerIdentity.fingerprint(of: context)
    if let known = self.cache.withLock({ $0[fingerprint] }) { return known }
    guard let device = try await self.store.device(fingerprint: fingerprint) else {
      throw RelayError(.unauthenticated, "this certificate's key is not registered: call Register first")
    }
    self.cache.withLock { $0[fingerprint] = device }
    return device
  }
}
