extension RelayConfiguration.Federation {
  /// `gateway` and `peers` on a region (docs/regions.md, "Other domains"):
  /// the gateway is this region or another configured one, and only the
  /// gateway lists peers of other domains.
  func validateGateway(region: String?) throws(RelayError) {
    if let gateway = self.gateway {
      guard let region else {
        throw RelayError(.invalidArgument, "federation.gateway needs region.name: this relay's own region")
      }
      guard gateway == region || self.regions.contains(where: { $0.name == gateway }) else {
        throw RelayError(
          .invalidArgument, "federation.gateway '\(gateway)' is neither this region nor one of federation.regions")
      }
    }
    if let region, !self.peers.isEmpty, self.gateway != region {
      throw RelayError(
        .invalidArgument,
        "only the domain's gateway region lists peers of other domains: set federation.gateway to '\(region)' here,"
          + " and to '\(region)' on every other region (docs/regions.md)")
    }
  }
}
