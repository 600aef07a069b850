internal import Synchronization

/// The relay's port once it listens, or why it never will: a node whose
/// migrations fail, or whose port is taken, must not leave whoever waits for
/// the port waiting forever.
final class ListeningGate: Sendable {
  private enum State {
    case waiting([CheckedContinuation<Int, any Error>])
    case done(Result<Int, any Error>)
  }

  private let state = Mutex(State.waiting([]))

  /// Waits until the server listens (its port) or has stopped trying (its error).
  var port: Int {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let result: Result<Int, any Error>? = self.state.withLock { state in
          switch state {
          case .waiting(var waiters):
            waiters.append(continuation)
            state = .waiting(waiters)
            return nil
          case .done(let result):
            return result
          }
        }
        if let result { continuation.resume(with: result) }
      }
    }
  }

  func listening(on port: Int) { self.settle(.success(port)) }

  func failed(_ error: any Error) { self.settle(.failure(error)) }

  /// The first outcome wins; later ones are ignored.
  private func settle(_ result: Result<Int, any Error>) {
    let waiters = self.state.withLock { state -> [CheckedContinuation<Int, any Error>] in
      guard case .waiting(let waiters) = state else { return [] }
      state = .done(result)
      return waiters
    }
    for waiter in waiters { waiter.resume(with: result) }
  }
}
