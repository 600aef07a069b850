internal import Foundation

/// What `relay peers` and the metrics show of one peer.
struct PeerStatus: Sendable, Codable {
  var domain: String
  var connected = false
  /// When the peer last acked a batch or answered anti-entropy (ms since the epoch; 0: never).
  var lastContactMs: Int64 = 0
  var eventsDelivered = 0
  var eventsRejected = 0
  var lastRequeued = 0

  init(domain: String) { self.domain = domain }

  mutating func delivered(_ count: Int, rejected: Int) {
    self.connected = true
    self.lastContactMs = Int64(Date().timeIntervalSince1970 * 1000)
    self.eventsDelivered += count
    self.eventsRejected += rejected
  }

  mutating func reconciled(requeued: Int) {
    self.lastContactMs = Int64(Date().timeIntervalSince1970 * 1000)
    self.lastRequeued = requeued
  }
}
