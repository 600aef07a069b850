package import CoreMetrics
package import RelayCore

/// Federation's counters, made in the relay's metrics registry.
package struct FederationMetrics: Sendable {
  /// Events applied from peers, and events refused as invalid (a peer that
  /// forges another domain's events shows up here).
  package let applied: Counter
  package let rejected: Counter
  /// Calls to the federation service from a certificate that is no configured peer.
  package let refused: Counter
  /// Attachments fetched from peers for this relay's devices, and their bytes.
  package let attachmentFetches: Counter
  package let attachmentBytesFetched: Counter
  /// Regions of one domain (docs/regions.md): look-ups and membership
  /// changes sent to another region of this domain for a user homed there,
  /// and home claims that changed a user's home region in this directory.
  package let routedCalls: Counter
  package let rehomed: Counter
  /// On the gateway region: events passed on between the domain and other domains.
  package let gatewayForwarded: Counter
  /// Moves between regions (docs/regions.md, "Moving a user"), by the phase
  /// this region brought them to: handed off and failed on the old home, arrived on the new one.
  package let moves: [UserMove.Phase: Counter]

  package init(factory: any MetricsFactory) {
    self.applied = Counter(label: "relay_federation_events_applied_total", factory: factory)
    self.rejected = Counter(label: "relay_federation_events_rejected_total", factory: factory)
    self.refused = Counter(label: "relay_federation_calls_refused_total", factory: factory)
    self.attachmentFetches = Counter(label: "relay_federation_attachment_fetches_total", factory: factory)
    self.attachmentBytesFetched = Counter(label: "relay_federation_attachment_fetched_bytes_total", factory: factory)
    self.routedCalls = Counter(label: "relay_region_routed_calls_total", factory: factory)
    self.rehomed = Counter(label: "relay_region_rehomed_users_total", factory: factory)
    self.gatewayForwarded = Counter(label: "relay_region_gateway_forwarded_events_total", factory: factory)
    self.moves = Dictionary(
      uniqueKeysWithValues: UserMove.Phase.allCases.map { phase in
        (phase, Counter(label: "relay_region_moves_total", dimensions: [("phase", phase.name)], factory: factory))
      })
  }
}
