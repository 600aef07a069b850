internal import RelayCore
internal import Synchronization

/// Bounds the sends one stream has queued for commit and not yet answered,
/// and lets the stream's reader wait for the last of them. Only the reader
/// waits (one waiter at a time); completions, from the committer, release.
final class InFlightWindow: Sendable {
  private enum Waiting {
    case none
    /// For room below the limit.
    case room(CheckedContinuation<Void, any Error>)
    /// For every send to be answered.
    case empty(CheckedContinuation<Void, any Error>)
  }

  private struct State {
    var inFlight = 0
    var waiting = Waiting.none
    var cancelled = false
  }

  private let limit: Int
  private let state = Mutex(State())

  init(limit: Int) { self.limit = max(1, limit) }

  /// Takes a place for one more send, waiting while `limit` are in flight.
  func acquire() async throws {
    try await self.wait { state in
      guard state.inFlight < self.limit else { return false }
      state.inFlight += 1
      return true
    } parking: {
      .room($0)
    }
  }

  /// One send was answered.
  func release() {
    let resume = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
      switch state.waiting {
      case .room(let continuation):
        // The place passes straight to the waiting send.
        state.waiting = .none
        return continuation
      case .empty(let continuation):
        state.inFlight -= 1
        guard state.inFlight == 0 else { return nil }
        state.waiting = .none
        return continuation
      case .none:
        state.inFlight -= 1
        return nil
      }
    }
    resume?.resume()
  }

  /// Waits until every send taken is answered.
  func drain() async throws {
    try await self.wait {
      $0.inFlight == 0
    } parking: {
      .empty($0)
    }
  }

  private func wait(
    until ready: @escaping @Sendable (inout State) -> Bool,
    parking: @escaping @Sendable (CheckedContinuation<Void, any Error>) -> Waiting
  ) async throws {
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        let outcome = self.state.withLock { state -> Result<Void, any Error>? in
          if state.cancelled { return .failure(CancellationError()) }
          if ready(&state) { return .success(()) }
          state.waiting = parking(continuation)
          return nil
        }
        if let outcome { continuation.resume(with: outcome) }
      }
    } onCancel: {
      let waiting = self.state.withLock { state in
        state.cancelled = true
        defer { state.waiting = .none }
        return state.waiting
      }
      switch waiting {
      case .room(let continuation), .empty(let continuation): continuation.resume(throwing: CancellationError())
      case .none: break
      }
    }
  }
}
