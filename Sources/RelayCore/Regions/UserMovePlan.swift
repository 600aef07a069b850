package import Wire

/// A move `relay users move` asks for, checked against this region and its
/// directory the same way by every backend: the user must be homed here (a
/// user of the domain without a row in the directory is, if registered here)
/// and the target must be another listed region of the domain.
package struct UserMovePlan: Sendable {
  package var user: UserAddress
  package var source: String
  package var target: String
  package var version: UInt64

  package init(
    user: UserAddress, target: String, region: LocalRegion, home: HomeClaim?, hasDevices: Bool, draining: Bool
  ) throws(RelayError) {
    guard user.domain == region.domain else {
      throw RelayError(.invalidArgument, "\(user) is not a user of this relay's domain \(region.domain)")
    }
    guard target != region.name else { throw RelayError(.invalidArgument, "\(user) would move to its own region") }
    guard region.siblings.contains(target) else {
      throw RelayError(.invalidArgument, "no region \(target) in federation.regions")
    }
    if let home, home.region != region.name {
      throw RelayError(.failedPrecondition, "\(user) is homed in region \(home.region): move it there")
    }
    guard hasDevices else { throw RelayError(.notFound, "\(user) has no device in this region") }
    // Held copies would not go with the transfer in order (docs/regions.md, "Arrival order across a move").
    guard !draining else {
      throw RelayError(
        .unavailable, "\(user) moved here lately and a region's marker has not come through its old home yet: try later"
      )
    }
    self.user = user
    self.source = region.name
    self.target = target
    self.version = (home?.version ?? 1) + 1
  }

  package func move(requestedAtMs: Int64) -> UserMove {
    UserMove(
      user: self.user, version: self.version, source: self.source, target: self.target, phase: .requested,
      requestedAtMs: requestedAtMs)
  }
}
