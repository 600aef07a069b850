internal import CoreMetrics
internal import GRPCCore
package import RelayCore
internal import Synchronization
internal import Wire

/// Serves a device an attachment stored on a peer relay from this relay's
/// own copy, fetched over `Federation.FetchAttachment` on first use and kept
/// until the original expires (docs/attachments.md, "Across relays"): a
/// device never connects to a foreign relay.
///
/// One fetch per attachment at a time on this node (the devices that ask
/// meanwhile wait for it and are served its copy); at most
/// `maxConcurrentFetches` attachments at once. A fetch cut short keeps what
/// it stored and the next download continues from there.
package final class AttachmentFetcher: Sendable {
  private let federator: Federator
  private let store: any AttachmentStore
  private let limits: RelayConfiguration.Attachments
  private let metrics: FederationMetrics
  private let wallClock: @Sendable () -> Int64
  private let flights = KeyedSerializer<AttachmentID>()
  private let fetching = Mutex(0)

  package init(
    federator: Federator, store: any AttachmentStore, limits: RelayConfiguration.Attachments,
    metrics: FederationMetrics, wallClock: @escaping @Sendable () -> Int64
  ) {
    self.federator = federator
    self.store = store
    self.limits = limits
    self.metrics = metrics
    self.wallClock = wallClock
  }

  /// This relay's complete copy of `id`, fetched from the relays that may
  /// hold it (``sources(of:localDomain:)``), in turn: the next one is asked
  /// when one has no such attachment or cannot be reached.
  package func copy(of id: AttachmentID, from relays: [String]) async throws -> AttachmentRecord {
    if let record = try await self.store.attachment(id, nowMs: self.wallClock()), record.isComplete { return record }
    let links = relays.compactMap { relay in self.federator.link(relay).map { (relay, $0) } }
    guard !links.isEmpty else {
      throw RelayError(.notFound, "no peer relay is configured for the domain \(id.domain)")
    }
    return try await self.flights.serially(id) {
      // The fetch this one waited for may have made it.
      var existing = try await self.store.attachment(id, nowMs: self.wallClock())
      if let existing, existing.isComplete { return existing }
      try self.admit()
      defer { self.fetching.withLock { $0 -= 1 } }
      var failure = RelayError(.notFound, "no such attachment (or it expired)")
      for (relay, link) in links {
        do {
          return try await self.fetch(id, continuing: existing, from: link, named: relay)
        } catch let error as RelayError where error.code == .notFound || error.code == .unavailable {
          if error.code == .unavailable || failure.code == .notFound { failure = error }
          existing = try await self.store.attachment(id, nowMs: self.wallClock())
        }
      }
      throw failure
    }
  }

  /// Where an attachment of `id.domain` may be: its domain's relay; for an
  /// id of this relay's own domain on a region, the domain's other regions
  /// (docs/regions.md): a region asks each in turn.
  package func sources(of id: AttachmentID, localDomain: String) -> [String] {
    id.domain == localDomain ? self.federator.siblings : [id.domain]
  }

  private func admit() throws(RelayError) {
    let admitted = self.fetching.withLock { count in
      guard count < self.limits.maxConcurrentFetches else { return false }
      count += 1
      return true
    }
    guard admitted else {
      throw RelayError(
        .resourceExhausted,
        "this relay fetches at most \(self.limits.maxConcurrentFetches) attachments from other relays at once; try again"
      )
    }
  }

  private func fetch(
    _ id: AttachmentID, continuing existing: AttachmentRecord?, from link: PeerLink, named relay: String
  ) async throws -> AttachmentRecord {
    let start = AttachmentCopy(
      id: id, existing: existing, maxBytes: self.limits.maxBytes, lifetimeMs: self.limits.lifetime.milliseconds,
      nowMs: self.wallClock())
    var request = Relay_V1_DownloadRequest()
    request.attachmentID = id.description
    request.offset = UInt64(start.offset)
    self.metrics.attachmentFetches.increment()
    let fetched: AttachmentRecord?
    do {
      fetched = try await link.client.fetchAttachment(
        request, options: link.callOptions(patience: self.limits.fetchTimeout)
      ) { response in
        var copy = start
        for try await chunk in response.messages {
          try await copy.write(chunk, to: self.store)
          self.metrics.attachmentBytesFetched.increment(by: chunk.data.count)
        }
        return copy.record
      }
    } catch let error as RPCError {
      throw RelayError(calling: relay, failed: error, notFound: "no such attachment (or it expired)")
    } catch let error as RelayError where error.code == .resourceExhausted || error.code == .notFound {
      throw error
    } catch let error as RelayError {
      // A chunk this relay refused: a node of the region fetching it too, or a peer's bad stream.
      if let record = try await self.store.attachment(id, nowMs: self.wallClock()), record.isComplete { return record }
      throw RelayError(
        .unavailable, "the attachment's copy from \(relay) could not be completed (\(error.message)); try again",
        cause: error)
    }
    if let fetched, fetched.isComplete { return fetched }
    throw RelayError(.unavailable, "the relay \(relay) ended the attachment before its end; try again")
  }
}
