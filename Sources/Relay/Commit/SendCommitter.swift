internal import Logging
internal import RelayCore
public import ServiceLifecycle
internal import Synchronization

/// Group commit: sends from every stream queue up here, and one loop commits
/// whatever is waiting in one transaction, so the cost of a commit is shared
/// by every send that arrived while the previous one ran.
///
/// A send is enqueued in order (``enqueue(_:)``) and its result awaited
/// separately (``Ticket/result()``), so one stream can pipeline sends.
///
/// With several lanes (a region's PostgreSQL takes concurrent writers), each
/// conversation always goes to the same lane, so its sends still commit in
/// the order they arrived while other conversations commit alongside.
public final class SendCommitter: Service, Sendable {
  /// A send's place in the queue; its result arrives after the commit.
  final class Ticket: Sendable {
    let command: SendCommand
    /// The outcome once known; the waiter while it waits.
    private struct State {
      var result: Result<SendOutcome, RelayError>?
      var waiter: CheckedContinuation<SendOutcome, any Error>?
    }
    private let state = Mutex(State())
    /// Called with the outcome, on the committer's task, instead of a waiter.
    private let onComplete: (@Sendable (Result<SendOutcome, RelayError>) -> Void)?

    init(_ command: SendCommand, onComplete: (@Sendable (Result<SendOutcome, RelayError>) -> Void)? = nil) {
      self.command = command
      self.onComplete = onComplete
    }

    /// The send's outcome once its batch commits. A waiter that is cancelled
    /// stops waiting with `CancellationError` (the send may still commit: it
    /// is not reported as done).
    func result() async throws -> SendOutcome {
      try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
          let ready = self.state.withLock { state -> Result<SendOutcome, any Error>? in
            if let result = state.result { return result.mapError { $0 } }
            if Task.isCancelled { return .failure(CancellationError()) }
            state.waiter = continuation
            return nil
          }
          if let ready { continuation.resume(with: ready) }
        }
      } onCancel: {
        let waiting = self.state.withLock { state in
          defer { state.waiter = nil }
          return state.waiter
        }
        waiting?.resume(throwing: CancellationError())
      }
    }

    func complete(_ result: Result<SendOutcome, RelayError>) {
      if let onComplete = self.onComplete { return onComplete(result) }
      let waiting = self.state.withLock { state in
        state.result = result
        defer { state.waiter = nil }
        return state.waiter
      }
      waiting?.resume(with: result)
    }
  }

  private let store: any RelayStore
  /// The relay's message clock (the writers observe it too).
  let clock: HybridLogicalClock
  private let maxBatch: Int
  private let metrics: RelayMetrics?
  private let logger: Logger
  /// One queue of sends and the loop that commits it.
  private final class Lane: Sendable {
    let queue = Mutex<(tickets: [Ticket], closed: Bool)>(([], false))
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init() { (self.wakeups, self.wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }
  }

  private let lanes: [Lane]

  init(
    store: any RelayStore, clock: HybridLogicalClock, maxBatch: Int, lanes: Int = 1, metrics: RelayMetrics? = nil,
    logger: Logger
  ) {
    self.store = store
    self.clock = clock
    self.maxBatch = maxBatch
    self.metrics = metrics
    self.logger = logger
    self.lanes = (0 ..< max(1, lanes)).map { _ in Lane() }
  }

  /// Queues a send; await ``Ticket/result()`` for its outcome, or pass
  /// `onComplete` to be called with it (on the committer's task: keep it short).
  @discardableResult
  func enqueue(
    _ command: SendCommand, onComplete: (@Sendable (Result<SendOutcome, RelayError>) -> Void)? = nil
  ) -> Ticket {
    let ticket = Ticket(command, onComplete: onComplete)
    let lane = self.lanes[Int(UInt(bitPattern: command.conversationID.hashValue) % UInt(self.lanes.count))]
    let accepted = lane.queue.withLock { queue in
      if queue.closed { return false }
      queue.tickets.append(ticket)
      return true
    }
    if accepted {
      lane.wake.yield()
    } else {
      ticket.complete(.failure(RelayError(.unavailable, "the relay is shutting down")))
    }
    return ticket
  }

  public func run() async throws {
    await withTaskGroup(of: Void.self) { group in
      for lane in self.lanes {
        group.addTask {
          for await _ in lane.wakeups.cancelOnGracefulShutdown() {
            await self.drain(lane)
          }
          lane.queue.withLock { $0.closed = true }
          await self.drain(lane)
        }
      }
    }
  }

  private func drain(_ lane: Lane) async {
    while true {
      let batch = lane.queue.withLock { queue in
        let count = min(queue.tickets.count, self.maxBatch)
        defer { queue.tickets.removeFirst(count) }
        return Array(queue.tickets.prefix(count))
      }
      if batch.isEmpty { return }
      do {
        let results = try await self.store.commit(batch.map(\.command), clock: self.clock)
        for (ticket, result) in zip(batch, results) { ticket.complete(result) }
        let committed = results.reduce(0) { count, result in if case .success = result { count + 1 } else { count } }
        self.metrics?.committed(committed, failed: results.count - committed)
      } catch {
        let failure = RelayError(.unavailable, "the message store is unavailable", cause: error)
        self.logger.error("group commit failed", metadata: ["sends": "\(batch.count)", "error": "\(error)"])
        for ticket in batch { ticket.complete(.failure(failure)) }
        self.metrics?.committed(0, failed: batch.count)
      }
    }
  }
}
