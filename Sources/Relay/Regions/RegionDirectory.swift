internal import RelayCore
internal import TLSIdentity
internal import Wire

/// This relay's view of its domain's regions (docs/regions.md): its own
/// region, where the others listen, the claim a registration makes, and the
/// check that a device's user is homed here. A relay that is no region
/// (`region.name` unset) owns every user of its domain and checks nothing.
struct RegionDirectory: Sendable {
  let domain: String
  /// This relay's region (and its domain's gateway); nil when it is its domain's only relay.
  let local: LocalRegion?
  /// The other regions of the domain, by name.
  let siblings: [String: RelayConfiguration.Federation.Region]

  init(_ configuration: RelayConfiguration) {
    self.domain = configuration.domain
    self.local = configuration.localRegion
    self.siblings = Dictionary(
      configuration.federation.regions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  /// This relay's region name; nil when it is its domain's only relay.
  var region: String? { self.local?.name }

  /// The home a new user's first registration here claims, told to every other region.
  func registration(of user: UserAddress, hlc: UInt64) -> HomeRegistration? {
    guard let local = self.local else { return nil }
    return HomeRegistration(
      claim: HomeClaim(user: user, region: local.name, claimedHLC: hlc, version: 1), siblings: local.siblingRelays)
  }

  /// The relay id of the relay that homes `user` when it is not this one;
  /// nil for a user of this relay (or one nobody registered in the domain).
  func relay(of user: UserAddress, store: any RelayStore) async throws -> String? {
    try await store.relay(of: user, domain: self.domain, region: self.local)
  }

  /// Throws `failedPrecondition` with the home's region and address when
  /// `user` is homed in another region.
  func checkHomedHere(_ user: UserAddress, store: any RelayStore) async throws {
    guard let region = self.region, let home = try await store.home(of: user), home.region != region else { return }
    throw self.located(RelayError.homedElsewhere(home))
  }

  /// Adds the home region's address and key fingerprint to an error that names it.
  func located(_ error: RelayError) -> RelayError {
    guard var home = error.home else { return error }
    var located = error
    let sibling = self.siblings[home.region]
    home.address = sibling.map { "\($0.address.host):\($0.address.port)" }
    home.fingerprint = sibling?.fingerprint.description
    located.home = home
    return located
  }
}
