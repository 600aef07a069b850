internal import RelayCore
internal import Synchronization

extension GroupCommitter {
  /// A command's place in the queue; its outcome arrives after the commit.
  final class Ticket: Sendable {
    let command: Command
    /// The outcome once known; the waiter while it waits.
    private struct State {
      var result: Result<Outcome, RelayError>?
      var waiter: CheckedContinuation<Outcome, any Error>?
    }
    private let state = Mutex(State())
    /// Called with the outcome, on the committer's task, instead of a waiter.
    private let onComplete: (@Sendable (Result<Outcome, RelayError>) -> Void)?

    init(_ command: Command, onComplete: (@Sendable (Result<Outcome, RelayError>) -> Void)? = nil) {
      self.command = command
      self.onComplete = onComplete
    }

    /// The command's outcome once its batch commits. A waiter that is
    /// cancelled stops waiting with `CancellationError` (the command may
    /// still commit: it is not reported as done).
    func result() async throws -> Outcome {
      try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
          let ready = self.state.withLock { state -> Result<Outcome, any Error>? in
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

    func complete(_ result: Result<Outcome, RelayError>) {
      if let onComplete = self.onComplete { return onComplete(result) }
      let waiting = self.state.withLock { state in
        state.result = result
        defer { state.waiter = nil }
        return state.waiter
      }
      waiting?.resume(with: result)
    }
  }
}
