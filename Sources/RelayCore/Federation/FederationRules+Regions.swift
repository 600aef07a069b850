package import TLSIdentity
package import Wire

extension FederationRules {
  /// Whether `peer` (a ``RelayID``) may speak for `user`: a relay of another
  /// domain for the users of its domain; another region of this domain for
  /// the domain's users, of which the stores keep only those homed in it
  /// (``checkHomed(_:in:home:)``); this domain's gateway region also for the
  /// users of other domains, whose events it passes on.
  package func speaks(_ peer: String, for user: UserAddress) -> Bool {
    user.domain == RelayID.domain(of: peer) || (peer == self.region?.gatewayRelay && user.domain != self.localDomain)
  }

  /// Whether `peer` may hand over what `origin` (a ``RelayID``) originated
  /// or owns: its own; a relay of another domain, seen as one relay, also
  /// for its domain's regions (its gateway passes their events on); this
  /// domain's gateway region for relays of other domains.
  package func passesOn(_ origin: String, from peer: String) -> Bool {
    origin == peer
      || (RelayID.region(of: peer) == nil && RelayID.domain(of: origin) == peer && peer != self.localDomain)
      || (peer == self.region?.gatewayRelay && RelayID.domain(of: origin) != self.localDomain)
  }

  /// On the gateway region, events from another region of the domain may
  /// carry what is meant for relays of other domains (it passes it on).
  func forwardsAbroad(from peer: String) -> Bool {
    self.region?.isGateway == true && RelayID.region(of: peer) != nil && RelayID.domain(of: peer) == self.localDomain
  }

  /// On an event from another region of this domain: `user` (a message's
  /// sender, a receipt's reader, a device list's owner) must be homed in
  /// that region, as this relay's directory says. A user of another domain
  /// comes only from the gateway (``speaks(_:for:)``) and has no home here.
  package static func checkHomed(_ user: UserAddress, in peer: String, home: HomeClaim?) throws(RelayError) {
    guard let region = RelayID.region(of: peer), user.domain == RelayID.domain(of: peer), home?.region != region
    else { return }
    throw RelayError(.permissionDenied, "a region may only speak for the users homed in it")
  }

  /// A user's device keys: only another region of this domain sends them,
  /// for a user of the domain (the stores keep them only from its home).
  package func check(
    _ devices: Relay_V1_RegionDevices, from peer: String
  ) throws(RelayError) -> (UserAddress, [Fingerprint]) {
    guard RelayID.region(of: peer) != nil, RelayID.domain(of: peer) == self.localDomain else {
      throw RelayError(.permissionDenied, "only another region of this domain may describe its devices' keys")
    }
    let user = try RequestValidation.user(devices.user, field: "region devices user")
    guard user.domain == self.localDomain else {
      throw RelayError(.permissionDenied, "a region may only describe the devices of users of its domain")
    }
    guard devices.fingerprints.count <= 64 else {
      throw RelayError(.resourceExhausted, "a device key list is over 64 devices")
    }
    return (
      user,
      try devices.fingerprints.map { (bytes) throws(RelayError) in
        guard bytes.count == 32 else { throw RelayError(.invalidArgument, "a device key fingerprint is 32 bytes") }
        return Fingerprint(bytes: Array(bytes))
      }
    )
  }

  /// A home claim: only another region of this relay's own domain sends one,
  /// for a user of the domain, naming itself as the home.
  package func check(_ claim: Relay_V1_HomeClaim, from peer: String) throws(RelayError) -> HomeClaim {
    guard let region = RelayID.region(of: peer), RelayID.domain(of: peer) == self.localDomain else {
      throw RelayError(.permissionDenied, "only another region of this domain may claim a home")
    }
    let user = try RequestValidation.user(claim.user, field: "home claim user")
    guard user.domain == self.localDomain, claim.region == region else {
      throw RelayError(.permissionDenied, "a region may only claim users of its domain for itself")
    }
    // Stored as signed 64-bit integers (the clock by its bit pattern).
    _ = try Int64(wire: claim.claimedHlc, field: "claimed_hlc")
    guard try Int64(wire: claim.version, field: "home version") > 0 else {
      throw RelayError(.invalidArgument, "a home claim's version must be positive")
    }
    return HomeClaim(
      user: user, region: region, claimedHLC: claim.claimedHlc, version: claim.version,
      movedFrom: try Self.movedFrom(claim))
  }

  /// A claim's old home: unset, or another valid region name, for a move (a version past 1).
  static func movedFrom(_ claim: Relay_V1_HomeClaim) throws(RelayError) -> String? {
    guard !claim.movedFrom.isEmpty else { return nil }
    guard RelayID.isValidRegion(claim.movedFrom), claim.movedFrom != claim.region, claim.version > 1 else {
      throw RelayError(.invalidArgument, "a home claim's moved_from names another region, for a move")
    }
    return claim.movedFrom
  }
}
