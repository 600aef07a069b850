package import Wire

extension FederationRules {
  /// A marker, first hand: only from another region of this domain, for a
  /// user of it, naming the sender as its region. (The store passes it on when
  /// the user moved away from here, and drops it otherwise.)
  package func check(_ marker: Relay_V1_MoveMarker, from peer: String) throws(RelayError) -> MoveMarker {
    guard let sender = RelayID.region(of: peer), RelayID.domain(of: peer) == self.localDomain else {
      throw RelayError(.permissionDenied, "only another region of this domain may send a move marker")
    }
    let checked = try self.marker(marker)
    guard checked.region == sender else {
      throw RelayError(.permissionDenied, "a region may only send its own move marker")
    }
    return checked
  }

  /// A marker's fields: a user of this domain, a move's version (past 1), a region name.
  func marker(_ marker: Relay_V1_MoveMarker) throws(RelayError) -> MoveMarker {
    let user = try RequestValidation.user(marker.user, field: "marker user")
    guard user.domain == self.localDomain else {
      throw RelayError(.permissionDenied, "a move marker is for a user of this domain")
    }
    guard try Int64(wire: marker.version, field: "marker version") > 1 else {
      throw RelayError(.invalidArgument, "a move marker's version is a move's, past 1")
    }
    guard RelayID.isValidRegion(marker.region) else {
      throw RelayError(.invalidArgument, "a move marker's region must be 1-32 of a-z, 0-9 and '-'")
    }
    return MoveMarker(user: user, version: marker.version, region: marker.region)
  }
}
