public import Wire

/// Arrival order across a move (docs/regions.md): region `region` learnt that
/// `user` moved (at home version `version`) and sent this to the user's old
/// home behind everything it had queued there for the user. Passed on to the
/// new home, it tells it that nothing of `region`'s is still on its way
/// through the old home: the new home releases what it held of `region`'s
/// direct messages for the user, in the order they came.
public struct MoveMarker: Sendable, Hashable {
  public var user: UserAddress
  public var version: UInt64
  public var region: String

  public init(user: UserAddress, version: UInt64, region: String) {
    self.user = user
    self.version = version
    self.region = region
  }

  package var wire: Relay_V1_MoveMarker {
    var marker = Relay_V1_MoveMarker()
    marker.user = self.user.description
    marker.version = self.version
    marker.region = self.region
    return marker
  }

  /// The event a region sends the old home.
  package var event: Relay_V1_FederationEvent {
    var event = Relay_V1_FederationEvent()
    event.moveMarker = self.wire
    return event
  }
}

extension LocalRegion {
  /// The region a message of `origin` entered this domain by, whose marker
  /// orders it after a move: the origin's own region for a region of this
  /// domain, the gateway for another domain (or this region, without one).
  public func entryRegion(of origin: String) -> String {
    guard RelayID.domain(of: origin) == self.domain else { return self.gateway ?? self.name }
    return RelayID.region(of: origin) ?? self.name
  }
}
