internal import Wire

/// The home a registration on a region claims (docs/regions.md): the user's
/// first device makes the registering region its home, told to `siblings`
/// (the other regions, by ``RelayID``) in the registration's transaction.
public struct HomeRegistration: Sendable {
  public var claim: HomeClaim
  public var siblings: [String]

  public init(claim: HomeClaim, siblings: [String]) {
    self.claim = claim
    self.siblings = siblings
  }

  /// Whether the registration writes the claim (the directory has no home
  /// for the user yet); nothing when the user is homed here already;
  /// `failedPrecondition` naming the home when it is another region.
  package func claims(over current: HomeClaim?) throws(RelayError) -> Bool {
    guard let current else { return true }
    guard current.region == self.claim.region else { throw RelayError.homedElsewhere(current) }
    return false
  }
}

extension HomeClaim {
  /// Whether a claim from another region replaces the directory's `current` row.
  package func replaces(_ current: HomeClaim?) -> Bool {
    guard let current else { return true }
    return self.wins(over: current)
  }
}

extension RelayError {
  /// A user of this domain whose home is another region: where to go instead.
  package static func homedElsewhere(_ home: HomeClaim) -> RelayError {
    var error = RelayError(.failedPrecondition, "\(home.user) is homed in region \(home.region): connect there")
    error.home = Home(region: home.region, address: nil)
    return error
  }
}
