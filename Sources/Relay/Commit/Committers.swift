internal import Logging
internal import RelayCore
internal import Wire

/// Sends' group commit: a batch of sends is one transaction
/// (``RelayStore/commit(_:clock:)``); each conversation keeps to one lane, so
/// its sends commit in the order they came.
typealias SendCommitter = GroupCommitter<SendCommand, SendOutcome>

/// Acks' group commit: a batch of acks is one transaction
/// (``RelayStore/acknowledge(_:)``), in one lane on every backend, so a
/// device's acks apply in the order they came. Apart from the sends': a send's
/// answer never waits for acks committed with it, and one batch fills while
/// the other commits. One lane even where the store takes concurrent commits:
/// on PostgreSQL, four ack lanes ran a region erratically and mostly far
/// slower than one (docs/benchmarks.md, "Acks as the SDK sends them").
typealias AckCommitter = GroupCommitter<AckCommand, [Doorbell]>

extension GroupCommitter where Command == SendCommand, Outcome == SendOutcome {
  static func sends(
    store: any RelayStore, clock: HybridLogicalClock, maxBatch: Int, lanes: Int, metrics: RelayMetrics?,
    logger: Logger
  ) -> SendCommitter {
    SendCommitter(
      "sends", maxBatch: maxBatch, lanes: lanes, key: { $0.conversationID.hashValue },
      counted: { committed, failed in metrics?.committed(committed, failed: failed) }, logger: logger
    ) { sends in try await store.commit(sends, clock: clock) }
  }
}

extension GroupCommitter where Command == AckCommand, Outcome == [Doorbell] {
  static func acks(store: any RelayStore, maxBatch: Int, logger: Logger) -> AckCommitter {
    AckCommitter("acks", maxBatch: maxBatch, lanes: 1, key: { $0.device.hashValue }, logger: logger) { acks in
      try await store.acknowledge(acks)
    }
  }
}
