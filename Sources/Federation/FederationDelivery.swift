package import RelayCore

/// What federation asks of delivery after it commits a peer's events or a
/// membership change a peer asked for: ring the devices with new mailbox
/// entries and wake the peer links (the same transaction may have queued
/// events for other peers). Implemented by the server's commit dispatcher,
/// the one path every commit goes through.
package protocol FederationDelivery: Sendable {
  func committed(_ doorbells: [Doorbell])
  /// These users' home moved to another region (docs/regions.md): the
  /// devices' next call here rechecks it, and their sessions here end.
  func rehomed(_ homes: [HomeClaim])
}
