internal import Logging
internal import RelayCore
public import ServiceLifecycle
internal import Synchronization

/// Group commit: commands from every stream queue up here, and one loop per
/// lane commits whatever is waiting in one transaction, so the cost of a
/// commit is shared by every command that arrived while the previous one ran.
/// Sends (``SendCommitter``) and acks (``AckCommitter``) each have one.
///
/// A command is enqueued in order (``enqueue(_:onComplete:)``) and its
/// outcome awaited separately (``Ticket/result()``), so one stream can
/// pipeline them.
///
/// With several lanes (a region's PostgreSQL takes concurrent writers), a
/// command always goes to the lane its key picks (a send's conversation, an
/// ack's device), so commands of one key commit in the order they arrived
/// while other keys commit alongside.
public final class GroupCommitter<Command: Sendable, Outcome: Sendable>: Service, Sendable {
  /// Commits one batch: an outcome per command, in order. Throwing fails the
  /// whole batch (the store is unavailable).
  typealias Commit = @Sendable ([Command]) async throws -> [Result<Outcome, RelayError>]

  private let what: String
  private let commit: Commit
  private let key: @Sendable (Command) -> Int
  private let maxBatch: Int
  /// Told how many commands of each batch succeeded and how many did not.
  private let counted: (@Sendable (_ succeeded: Int, _ failed: Int) -> Void)?
  private let logger: Logger

  /// One queue of commands and the loop that commits it.
  private final class Lane: Sendable {
    let queue = Mutex<(tickets: [Ticket], closed: Bool)>(([], false))
    let wakeups: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation

    init() { (self.wakeups, self.wake) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1)) }
  }

  private let lanes: [Lane]

  /// `what` names the commands in logs ("sends", "acks").
  init(
    _ what: String, maxBatch: Int, lanes: Int = 1, key: @escaping @Sendable (Command) -> Int,
    counted: (@Sendable (_ succeeded: Int, _ failed: Int) -> Void)? = nil, logger: Logger,
    commit: @escaping Commit
  ) {
    self.what = what
    self.commit = commit
    self.key = key
    self.maxBatch = max(1, maxBatch)
    self.counted = counted
    self.logger = logger
    self.lanes = (0 ..< max(1, lanes)).map { _ in Lane() }
  }

  /// Queues a command; await ``Ticket/result()`` for its outcome, or pass
  /// `onComplete` to be called with it (on the committer's task: keep it short).
  @discardableResult
  func enqueue(
    _ command: Command, onComplete: (@Sendable (Result<Outcome, RelayError>) -> Void)? = nil
  ) -> Ticket {
    let ticket = Ticket(command, onComplete: onComplete)
    let lane = self.lanes[Int(UInt(bitPattern: self.key(command)) % UInt(self.lanes.count))]
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
        let results = try await self.commit(batch.map(\.command))
        for (ticket, result) in zip(batch, results) { ticket.complete(result) }
        let succeeded = results.reduce(0) { count, result in if case .success = result { count + 1 } else { count } }
        self.counted?(succeeded, results.count - succeeded)
      } catch {
        let failure = RelayError(.unavailable, "the message store is unavailable", cause: error)
        self.logger.error("group commit failed", metadata: ["\(self.what)": "\(batch.count)", "error": "\(error)"])
        for ticket in batch { ticket.complete(.failure(failure)) }
        self.counted?(0, batch.count)
      }
    }
  }
}
