internal import GRPCCore
internal import RelayCore
internal import Wire

/// One turn of the writer's work, taken from the session at once.
struct WriterWork {
  var frames: [Relay_V1_ServerFrame] = []
  var handed: [Relay_V1_MailboxEntry] = []
  var doorbell = false
  var abandoned = false
}

/// Where the writer is in the device's mailbox.
struct WriterPosition {
  /// The last cursor written.
  var sent: UInt64
  /// Whether the stream has had its `caught_up` sync batch.
  var caughtUp = false
}

extension DeviceSession {
  /// Writes until ``finish()``, ``abandon()`` or ``close(_:)``: first the
  /// mailbox after `cursor` as sync batches (the last one `caught_up`), then
  /// each new entry as its own envelope or receipt frame.
  ///
  /// The loop that waits is kept apart from the work it does, and the work
  /// is split by kind: an async function's frame holds every value it keeps
  /// across a suspension, and a task keeps the memory of its deepest stack
  /// for as long as it lives — here, as long as the device is connected.
  ///
  /// `clock` observes the timestamps of what is read from the mailbox: in a
  /// region, another node's messages (its clock may run ahead), so a reply
  /// made here sorts after the message it answers.
  func runWriter(
    to writer: RPCWriter<Relay_V1_ServerFrame>, store: any RelayStore, from cursor: UInt64, pageSize: Int,
    metrics: RelayMetrics? = nil, clock: HybridLogicalClock? = nil
  ) async throws {
    var position = WriterPosition(sent: cursor)
    for await _ in self.wakeups {
      while let work = try self.takeWork() {
        if work.abandoned { return }
        try await self.perform(
          work, writer: writer, store: store, position: &position, pageSize: pageSize, metrics: metrics, clock: clock)
      }
    }
  }

  @inline(never)
  private func perform(
    _ work: WriterWork, writer: RPCWriter<Relay_V1_ServerFrame>, store: any RelayStore, position: inout WriterPosition,
    pageSize: Int, metrics: RelayMetrics?, clock: HybridLogicalClock?
  ) async throws {
    if !work.frames.isEmpty { try await Self.write(work.frames, to: writer) }
    // Handed-over entries go out while they continue the cursor sequence;
    // anything else (a gap, or still catching up) is read from the mailbox.
    var needsRead = work.doorbell
    if position.caughtUp {
      if !work.handed.isEmpty {
        needsRead =
          try await Self.writeHanded(work.handed, to: writer, position: &position, metrics: metrics) || needsRead
      }
    } else if !work.handed.isEmpty {
      needsRead = true
    }
    if needsRead {
      try await self.writeMailboxPage(
        to: writer, store: store, position: &position, pageSize: pageSize, metrics: metrics, clock: clock)
    }
  }

  /// Frames go to the transport together (one write of many is one flush,
  /// and the TLS layer seals them in as few records as fit), never one by one.
  @inline(never)
  private static func write(_ frames: [Relay_V1_ServerFrame], to writer: RPCWriter<Relay_V1_ServerFrame>) async throws {
    try await writer.write(contentsOf: frames)
  }

  /// Writes the handed-over entries that follow `position`, as one write;
  /// whether the mailbox must be read (a gap).
  @inline(never)
  static func writeHanded(
    _ handed: [Relay_V1_MailboxEntry], to writer: RPCWriter<Relay_V1_ServerFrame>, position: inout WriterPosition,
    metrics: RelayMetrics?
  ) async throws -> Bool {
    var run = [Relay_V1_MailboxEntry]()
    var next = position.sent + 1
    var gap = false
    for entry in handed.sorted(by: { $0.cursor < $1.cursor }) where entry.cursor >= next {
      guard entry.cursor == next else {
        gap = true
        break
      }
      run.append(entry)
      next += 1
    }
    if !run.isEmpty {
      try await writer.write(contentsOf: run.lazy.map(\.serverFrame))
      Self.delivered(run, metrics: metrics)
      position.sent = next - 1
    }
    return gap
  }

  /// One page of the mailbox after `position`: a sync batch until caught up, then entry by entry.
  @inline(never)
  private func writeMailboxPage(
    to writer: RPCWriter<Relay_V1_ServerFrame>, store: any RelayStore, position: inout WriterPosition, pageSize: Int,
    metrics: RelayMetrics?, clock: HybridLogicalClock?
  ) async throws {
    let entries = try await store.mailbox(of: self.device, after: position.sent, limit: pageSize)
    if let clock, let latest = entries.lazy.compactMap(\.envelopeHLC).max() { clock.observe(latest) }
    if let last = entries.last { position.sent = last.cursor }
    let full = entries.count == pageSize
    if full { self.ringAgain() }
    if !position.caughtUp {
      var frame = Relay_V1_ServerFrame()
      frame.sync.entries = entries
      frame.sync.caughtUp = !full
      position.caughtUp = !full
      try await writer.write(frame)
    } else {
      try await writer.write(contentsOf: entries.lazy.map(\.serverFrame))
    }
    Self.delivered(entries, metrics: metrics)
  }

  private static func delivered(_ entries: some Sequence<Relay_V1_MailboxEntry>, metrics: RelayMetrics?) {
    guard let metrics else { return }
    let now = HybridLogicalClock.systemMilliseconds()
    for entry in entries { if case .envelope(let envelope) = entry.entry { metrics.delivered(envelope, nowMs: now) } }
  }
}
