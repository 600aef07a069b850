internal import Synchronization

/// Runs work for one key at a time in this process; work for other keys runs
/// beside it. Waiters take their turn in arrival order, and a waiter whose
/// task is cancelled leaves the queue at once (`CancellationError`).
///
/// The relay fetches a peer's attachment once however many devices ask for
/// it together: the first fetches, the others wait and find the copy.
public final class KeyedSerializer<Key: Hashable & Sendable>: Sendable {
  private struct Waiter {
    let ticket: UInt64
    let continuation: CheckedContinuation<Void, any Error>
  }

  private struct State {
    var nextTicket: UInt64 = 0
    /// A key is busy while it has an entry; the entry holds who waits for it.
    var queues: [Key: [Waiter]] = [:]
  }

  private enum Turn { case now, later, cancelled }

  private let state = Mutex(State())

  public init() {}

  /// Runs `body` once no other work for `key` runs.
  public func serially<T: Sendable>(_ key: Key, _ body: () async throws -> T) async throws -> T {
    try await self.acquire(key)
    defer { self.release(key) }
    return try await body()
  }

  /// How many keys are busy: work running, waiters or not.
  public var busyKeys: Int { self.state.withLock { $0.queues.count } }

  private func acquire(_ key: Key) async throws {
    let ticket = self.state.withLock { state in
      defer { state.nextTicket += 1 }
      return state.nextTicket
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        // The check for cancellation and the queueing happen under the lock
        // the cancellation handler takes: a waiter is either never queued or found there.
        let turn = self.state.withLock { state -> Turn in
          if Task.isCancelled { return .cancelled }
          guard state.queues[key] != nil else {
            state.queues[key] = []
            return .now
          }
          state.queues[key]!.append(Waiter(ticket: ticket, continuation: continuation))
          return .later
        }
        switch turn {
        case .now: continuation.resume()
        case .cancelled: continuation.resume(throwing: CancellationError())
        case .later: break
        }
      }
    } onCancel: {
      let waiter = self.state.withLock { state -> Waiter? in
        guard let index = state.queues[key]?.firstIndex(where: { $0.ticket == ticket }) else { return nil }
        return state.queues[key]!.remove(at: index)
      }
      waiter?.continuation.resume(throwing: CancellationError())
    }
  }

  /// Hands the key to the next waiter, or frees it.
  private func release(_ key: Key) {
    let next = self.state.withLock { state -> Waiter? in
      guard var queue = state.queues[key], !queue.isEmpty else {
        state.queues[key] = nil
        return nil
      }
      let next = queue.removeFirst()
      state.queues[key] = queue
      return next
    }
    next?.continuation.resume()
  }
}
