internal import Foundation
internal import RelayCore

/// What `relay peers` shows of one peer (the admin listener's `GET /peers`).
struct PeerStatus: Sendable, Codable, Hashable {
  var domain: String
  /// Set for another region of this relay's own domain.
  var region: String?
  var address: String
  var connected = false
  /// When the peer last acked a batch or answered anti-entropy (ms since the epoch; 0: never).
  var lastContactMs: Int64 = 0
  /// Events waiting in this relay's outbox for the peer.
  var outboxDepth = 0
  /// Replication lag: how long the oldest waiting event has waited (0 when none waits).
  var lagMs: Int64 = 0
  var eventsDelivered = 0
  var eventsRejected = 0
  /// Messages the peer queued again at the last anti-entropy round.
  var lastRequeued = 0
  /// The status the peer answered when it last refused this relay (for
  /// example `unauthenticated: …` when this relay's key is not in its
  /// config); nil once it accepts a batch again.
  var refusal: String?

  init(domain: String, region: String?, address: String) {
    self.domain = domain
    self.region = region
    self.address = address
  }

  mutating func delivered(_ count: Int, rejected: Int) {
    self.connected = true
    self.refusal = nil
    self.lastContactMs = Self.now()
    self.eventsDelivered += count
    self.eventsRejected += rejected
  }

  mutating func reconciled(requeued: Int) {
    self.lastContactMs = Self.now()
    self.lastRequeued = requeued
  }

  mutating func backlog(_ backlog: OutboxBacklog) {
    self.outboxDepth = backlog.depth
    self.lagMs = backlog.oldestQueuedAtMs.map { max(0, Self.now() - $0) } ?? 0
  }

  private static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
