internal import GRPCCore
internal import Logging
internal import RelayCore
internal import SwiftProtobuf
internal import Synchronization
internal import Wire

extension PeerLink {
  /// One `Replicate` stream: send a batch, wait for its ack, delete what it
  /// acks, repeat; wait for a wake-up when the outbox is empty. Throws when
  /// the stream breaks, so the caller reconnects.
  func replicate() async throws {
    let (acks, ackSink) = AsyncStream.makeStream(of: Relay_V1_ReplicationAck.self)
    let request = StreamingClientRequest<Relay_V1_ReplicationBatch> { writer in
      var wakeups = self.wakeups.stream.makeAsyncIterator()
      var acks = acks.makeAsyncIterator()
      var deferral = Backoff(
        initial: self.configuration.retryInitial, maximum: self.configuration.retryMaximum, multiplier: 2)
      self.status.withLock { $0.connected = true }
      self.knownDown.withLock { $0 = false }
      if let region = self.localRegion, self.peer.region != nil, !self.directorySynced.withLock({ $0 }) {
        let claimed = try await self.store.syncDirectory(
          region: region, siblings: [self.peer.relay], nowMs: HybridLogicalClock.systemMilliseconds())
        if claimed > 0 { self.logger.info("claimed the users registered here before it was a region: \(claimed)") }
        self.directorySynced.withLock { $0 = true }
      }
      while !Task.isCancelled {
        // In a region, one node streams the outbox; the others wait their turn.
        guard try await self.store.claimOutbox(for: self.peer.relay, node: self.node, leaseMs: self.leaseMs) else {
          guard await wakeups.next() != nil else { return }
          continue
        }
        var events = try await self.store.outbox(
          for: self.peer.relay, after: 0, limit: self.configuration.maxBatchEvents)
        guard !events.isEmpty else {
          guard await wakeups.next() != nil else { return }
          continue
        }
        // A batch stays under the peer's frame limit (one event always goes alone).
        var bytes = 0
        let fitting = events.prefix { event in
          bytes += event.serializedSize
          return bytes <= self.maxBatchBytes
        }.count
        events.removeLast(events.count - max(1, fitting))
        var batch = Relay_V1_ReplicationBatch()
        batch.events = events
        try await writer.write(batch)
        guard let ack = await acks.next() else { throw RelayError(.unavailable, "the peer closed the stream") }
        let acked = events.prefix { $0.id <= ack.throughID }.map(\.id)
        if !acked.isEmpty { try await self.store.deleteOutbox(for: self.peer.relay, ids: acked) }
        let sent = acked.count
        self.status.withLock { $0.delivered(sent, rejected: Int(ack.rejected)) }
        if ack.rejected > 0 {
          self.logger.warning("the peer rejected events", metadata: ["rejected": "\(ack.rejected)"])
        }
        if ack.deferred {
          try await Task.sleep(for: deferral.next())
        } else {
          deferral.reset()
        }
      }
    }
    // The status the peer ended the stream with wins over the request side's
    // "closed" error, so a refusal (UNAUTHENTICATED) reaches the caller as such.
    let answered = Mutex<RPCError?>(nil)
    do {
      try await self.client.replicate(request: request) { response in
        defer { ackSink.finish() }
        do {
          for try await ack in response.messages { ackSink.yield(ack) }
        } catch let error as RPCError {
          answered.withLock { $0 = error }
          throw error
        }
      }
    } catch {
      if let status = answered.withLock({ $0 }) { throw status }
      throw error
    }
  }

  /// Anti-entropy: tells the peer how far this relay holds the peer's own
  /// messages in every conversation shared with it; the peer queues the rest
  /// again. Then every `reconcileInterval`; sooner after a failure.
  func reconcileLoop() async {
    var backoff = Backoff(
      initial: self.configuration.retryInitial, maximum: self.configuration.retryMaximum, multiplier: 2)
    while !Task.isCancelled {
      do {
        let vector = try await self.store.versionVector(origin: self.peer.relay)
        var requeued = 0
        for start in stride(from: 0, to: max(vector.count, 1), by: FederationRules.maxReconcileEntries) {
          var request = Relay_V1_ReconcileRequest()
          request.entries = Array(vector[start ..< min(start + FederationRules.maxReconcileEntries, vector.count)])
          let response = try await self.client.reconcile(request)
          // A peer chooses this count: clamped, never trapped on.
          requeued = Int(clamping: UInt64(requeued) + min(response.queued, UInt64(Int.max)))
        }
        backoff.reset()
        self.status.withLock { $0.reconciled(requeued: requeued) }
        try? await Task.sleep(for: self.configuration.reconcileInterval)
      } catch {
        self.logger.debug("anti-entropy with the peer failed; retrying", metadata: ["error": "\(error)"])
        try? await Task.sleep(for: backoff.next())
      }
    }
  }
}

extension Relay_V1_OutboxEvent {
  /// The encoded size of the event within a batch (field tag and length included, roughly).
  var serializedSize: Int { ((try? self.serializedBytes() as [UInt8])?.count ?? 0) + 8 }
}
