internal import RelayCore
internal import Synchronization

/// The relay's port once it listens, or why it never will: a node whose
/// migrations fail, or whose port is taken, must not leave whoever waits for
/// the port waiting forever.
final class ListeningGate: Sendable {
  private enum State {
    case waiting([UInt64: CheckedContinuation<Int, any Error>], next: UInt64)
    case done(Result<Int, any Error>)
  }

  private let state = Mutex(State.waiting([:], next: 0))

  /// Waits until the server listens (its port) or has stopped trying (its
  /// error); a waiter that is cancelled stops waiting with `CancellationError`.
  var port: Int {
    get async throws {
      let id = Atomic<UInt64>(.max)
      return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
          let result: Result<Int, any Error>? = self.state.withLock { state in
            switch state {
            case .waiting(var waiters, let next):
              if Task.isCancelled { return .failure(CancellationError()) }
              waiters[next] = continuation
              id.store(next, ordering: .relaxed)
              state = .waiting(waiters, next: next + 1)
              return nil
            case .done(let result):
              return result
            }
          }
          if let result { continuation.resume(with: result) }
        }
      } onCancel: {
        let waiter = self.state.withLock { state -> CheckedContinuation<Int, any Error>? in
          guard case .waiting(var waiters, let next) = state else { return nil }
          let removed = waiters.removeValue(forKey: id.load(ordering: .relaxed))
          state = .waiting(waiters, next: next)
          return removed
        }
        waiter?.resume(throwing: CancellationError())
      }
    }
  }

  func listening(on port: Int) { self.settle(.success(port)) }

  func failed(_ error: any Error) { self.settle(.failure(error)) }

  /// The first outcome wins; later ones are ignored.
  private func settle(_ result: Result<Int, any Error>) {
    let waiters = self.state.withLock { state -> [CheckedContinuation<Int, any Error>] in
      guard case .waiting(let waiters, _) = state else { return [] }
      state = .done(result)
      return Array(waiters.values)
    }
    for waiter in waiters { waiter.resume(with: result) }
  }
}
