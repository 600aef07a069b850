internal import GRPCCore
internal import Synchronization
public import Wire

/// One device's live `Connect` stream, seen from the rest of the relay.
///
/// Anything may hand it frames (``push(_:)``), ring its doorbell (``ring()``,
/// or ``ring(with:)`` with the committed entry) or close it (``close(_:)``);
/// one writer loop (``runWriter(to:store:from:pageSize:)``) turns that into
/// writes. A handed-over entry that is the next cursor is written as it is;
/// otherwise the mailbox — the truth — is read after the last cursor written.
/// At most a page of the mailbox (or `maxHanded` entries) is in memory at a
/// time, so a slow reader holds back its own mailbox, not the relay.
public final class DeviceSession: Sendable {
  private struct State {
    var frames: [Relay_V1_ServerFrame] = []
    /// Committed entries handed over by whoever committed them, in ring order.
    var handed: [Relay_V1_MailboxEntry] = []
    var doorbell = true
    var closing: RelayError?
  }

  /// Beyond this many handed-over entries waiting, drop them and read the mailbox instead.
  private let maxHanded: Int

  public let device: DeviceAddress
  let id: UInt64
  private let state = Mutex(State())
  private let wakeups: AsyncStream<Void>
  private let wake: AsyncStream<Void>.Continuation
  private static let nextID = Atomic<UInt64>(1)

  init(device: DeviceAddress, maxHanded: Int = 256) {
    self.device = device
    self.maxHanded = maxHanded
    self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    (self.wakeups, self.wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    self.wake.yield()
  }

  /// Queues a frame that is not in the mailbox (presence, typing, results, errors).
  func push(_ frame: Relay_V1_ServerFrame) {
    self.state.withLock { $0.frames.append(frame) }
    self.wake.yield()
  }

  /// New mailbox entries are committed for this device.
  func ring() {
    self.state.withLock { $0.doorbell = true }
    self.wake.yield()
  }

  /// A committed entry for this device: written straight from memory when it
  /// is the next cursor the stream expects, else the mailbox is read.
  func ring(with entry: Relay_V1_MailboxEntry) {
    self.state.withLock { state in
      if state.handed.count >= self.maxHanded {
        state.handed.removeAll(keepingCapacity: true)
        state.doorbell = true
      } else {
        state.handed.append(entry)
      }
    }
    self.wake.yield()
  }

  /// Ends the stream with `error` as its status.
  func close(_ error: RelayError) {
    self.state.withLock { $0.closing = $0.closing ?? error }
    self.wake.yield()
  }

  /// Ends the writer once it has written what is queued (the client is done).
  func finish() { self.wake.finish() }

  /// Writes until ``finish()`` or ``close(_:)``: first the mailbox after
  /// `cursor` as sync batches (the last one `caught_up`), then each new entry
  /// as its own envelope or receipt frame.
  func runWriter(
    to writer: RPCWriter<Relay_V1_ServerFrame>, store: any RelayStore, from cursor: UInt64, pageSize: Int,
    metrics: RelayMetrics? = nil
  ) async throws {
    func delivered(_ entries: some Sequence<Relay_V1_MailboxEntry>) {
      guard let metrics else { return }
      let now = HybridLogicalClock.systemMilliseconds()
      for entry in entries { if case .envelope(let envelope) = entry.entry { metrics.delivered(envelope, nowMs: now) } }
    }
    var sent = cursor
    var caughtUp = false
    for await _ in self.wakeups {
      while true {
        let (frames, handed, doorbell, closing) = self.state.withLock { state in
          defer {
            state.frames.removeAll(keepingCapacity: true)
            state.handed.removeAll(keepingCapacity: true)
            state.doorbell = false
          }
          return (state.frames, state.handed, state.doorbell, state.closing)
        }
        if let closing { throw closing }
        if frames.isEmpty && handed.isEmpty && !doorbell { break }
        for frame in frames { try await writer.write(frame) }
        // Handed-over entries go out while they continue the cursor sequence;
        // anything else (a gap, or still catching up) is read from the mailbox.
        var needsRead = doorbell
        if caughtUp {
          for entry in handed.sorted(by: { $0.cursor < $1.cursor }) where entry.cursor > sent {
            guard entry.cursor == sent + 1, !needsRead else {
              needsRead = true
              break
            }
            try await writer.write(entry.serverFrame)
            delivered(CollectionOfOne(entry))
            sent = entry.cursor
          }
        } else if !handed.isEmpty {
          needsRead = true
        }
        guard needsRead else { continue }
        let entries = try await store.mailbox(of: self.device, after: sent, limit: pageSize)
        if let last = entries.last { sent = last.cursor }
        let full = entries.count == pageSize
        if full { self.state.withLock { $0.doorbell = true } }
        if !caughtUp {
          var batch = Relay_V1_SyncBatch()
          batch.entries = entries
          batch.caughtUp = !full
          caughtUp = !full
          var frame = Relay_V1_ServerFrame()
          frame.sync = batch
          try await writer.write(frame)
        } else {
          for entry in entries { try await writer.write(entry.serverFrame) }
        }
        delivered(entries)
      }
    }
  }
}

extension Relay_V1_MailboxEntry {
  var serverFrame: Relay_V1_ServerFrame {
    var frame = Relay_V1_ServerFrame()
    switch self.entry {
    case .envelope(let envelope): frame.envelope = envelope
    case .receipt(let receipt): frame.receipt = receipt
    case nil: break
    }
    return frame
  }
}
