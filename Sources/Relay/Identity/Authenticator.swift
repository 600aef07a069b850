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
/// may register at any moment. On a region of a domain with several, a
/// device's user must also be homed here (``RegionDirectory``): checked on
/// every look-up in the store, at every `Connect`, and at least every
/// ``homeRecheck`` on other calls, since another region may win the user.
final class Authenticator: Sendable {
  private struct Cached: Sendable {
    var device: DeviceRecord
    var homeCheckedAt: ContinuousClock.Instant
  }

  /// How long a device's home check holds for calls other than `Connect`.
  static let homeRecheck = Duration.seconds(10)

  private let store: any RelayStore
  let regions: RegionDirectory
  private let cache = Mutex<[Fingerprint: Cached]>([:])

  init(store: any RelayStore, regions: RegionDirectory) {
    self.store = store
    self.regions = regions
  }

  /// The calling device; `unauthenticated` when its key is not registered,
  /// `failedPrecondition` (with the home's region) when its user is homed in
  /// another region. `recheckHome` checks the home whatever the cache says.
  func device(of context: ServerContext, recheckHome: Bool = false) async throws -> DeviceRecord {
    let fingerprint = try PeerIdentity.fingerprint(of: context)
    let now = ContinuousClock.now
    if let known = self.cache.withLock({ $0[fingerprint] }) {
      guard self.regions.region != nil, recheckHome || now - known.homeCheckedAt > Self.homeRecheck else {
        return known.device
      }
      try await self.regions.checkHomedHere(known.device.address.user, store: self.store)
      self.cache.withLock { $0[fingerprint]?.homeCheckedAt = now }
      return known.device
    }
    guard let device = try await self.store.device(fingerprint: fingerprint) else {
      // A device of another region of this domain is told where its home is.
      if self.regions.region != nil, let user = try await self.store.regionDevice(fingerprint: fingerprint) {
        try await self.regions.checkHomedHere(user, store: self.store)
      }
      throw RelayError(.unauthenticated, "this certificate's key is not registered: call Register first")
    }
    try await self.regions.checkHomedHere(device.address.user, store: self.store)
    self.cache.withLock { $0[fingerprint] = Cached(device: device, homeCheckedAt: now) }
    return device
  }

  /// The next call of these users' devices checks their home again.
  func recheckHomes(of users: [UserAddress]) {
    let users = Set(users)
    self.cache.withLock { cache in
      cache = cache.filter { !users.contains($0.value.device.address.user) }
    }
  }
}
