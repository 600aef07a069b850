internal import GRPCCore
internal import RelayCore
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
    /// The reader failed: stop writing, the call ends with the reader's error.
    var abandoned = false
  }

  /// Beyond this many handed-over entries waiting, drop them and read the mailbox instead.
  private let maxHanded: Int
  /// Beyond this many frames waiting (results, errors, heartbeats, presence,
  /// typing: none of them in the mailbox), the client is not reading its
  /// stream: it is closed with `resourceExhausted` and the frames dropped.
  private let maxQueued: Int

  public let device: DeviceAddress
  let id: UInt64
  private let state = Mutex(State())
  let wakeups: AsyncStream<Void>
  private let wake: AsyncStream<Void>.Continuation
  private static let nextID = Atomic<UInt64>(1)

  init(device: DeviceAddress, maxHanded: Int = 256, maxQueued: Int = 1024) {
    self.device = device
    self.maxHanded = maxHanded
    self.maxQueued = maxQueued
    self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    (self.wakeups, self.wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    self.wake.yield()
  }

  /// Queues a frame that is not in the mailbox (presence, typing, results, errors).
  func push(_ frame: Relay_V1_ServerFrame) {
    self.state.withLock { state in
      guard state.closing == nil else { return }
      guard state.frames.count < self.maxQueued else {
        state.frames.removeAll()
        state.closing = RelayError(
          .resourceExhausted, "the client is not reading its stream: more than \(self.maxQueued) frames queued")
        return
      }
      state.frames.append(frame)
    }
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

  /// Ends the writer at once, writing nothing more (the reader failed).
  func abandon() {
    self.state.withLock { $0.abandoned = true }
    self.wake.finish()
  }

  /// What the writer has to do next, taken (and cleared) under the lock;
  /// nil when there is nothing. Throws the closing error.
  func takeWork() throws(RelayError) -> WriterWork? {
    try self.state.withLock { state throws(RelayError) -> WriterWork? in
      if let closing = state.closing { throw closing }
      if state.abandoned { return WriterWork(abandoned: true) }
      if state.frames.isEmpty && state.handed.isEmpty && !state.doorbell { return nil }
      defer {
        state.frames.removeAll(keepingCapacity: true)
        state.handed.removeAll(keepingCapacity: true)
        state.doorbell = false
      }
      return WriterWork(frames: state.frames, handed: state.handed, doorbell: state.doorbell)
    }
  }

  /// Asks the writer to read the mailbox again (a page came back full).
  func ringAgain() { self.state.withLock { $0.doorbell = true } }
}

extension Relay_V1_MailboxEntry {
  /// The timestamp of an envelope (nil for a receipt).
  var envelopeHLC: UInt64? {
    if case .envelope(let envelope) = self.entry { envelope.hlc } else { nil }
  }

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
