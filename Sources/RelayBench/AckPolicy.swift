import ArgumentParser

/// When the load generator's devices acknowledge what they receive.
///
/// - `batched` (the default, and every figure in docs/benchmarks.md before
///   2026-12-05): a receiver acks every 100th envelope (and its last); a
///   sender never acks the receipts that come back.
/// - `sdk`: what `RelaySDK` does — every envelope and every receipt is acked
///   as soon as it is handled, so each message costs its receiver's ack and
///   its sender's ack of the delivered receipt.
enum AckPolicy: String, ExpressibleByArgument, Sendable {
  case batched
  case sdk

  /// Whether a receiver that had `before` envelopes and now has `after` acks now.
  func receiverAcks(before: Int, after: Int, expected: Int) -> Bool {
    switch self {
    case .batched: after / 100 != before / 100 || after >= expected
    case .sdk: after > before
    }
  }

  /// Whether a sender acks the receipts it is sent.
  var senderAcksReceipts: Bool { self == .sdk }
}
