import Foundation
import RelaySDK

extension RelayDevice {
  /// Connects, passes every event to `onEvent` until the session has caught
  /// up with the mailbox (everything waiting is stored and acknowledged),
  /// then for `linger` more. A session that fails before it caught up is an
  /// error: a one-shot command reports it rather than retrying for ever.
  func catchUp(linger: Duration = .zero, _ onEvent: @escaping @Sendable (ClientEvent) -> Void) async throws {
    try await self.connect { session in
      let (caughtUp, signal) = AsyncStream.makeStream(of: Void.self)
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          var caught = false
          for await event in session.events {
            switch event {
            case .connection(.connected):
              caught = true
              signal.yield()
            case .connection(.disconnected(let reason)) where !caught:
              throw SessionFailed(reason: reason)
            case .undecryptable(let id, let sender, let reason):
              FileHandle.standardError.write(Data("could not open \(id) from \(sender): \(reason)\n".utf8))
            default:
              onEvent(event)
            }
          }
        }
        group.addTask {
          for await _ in caughtUp { break }
          try await Task.sleep(for: linger)
        }
        try await group.next()
        group.cancelAll()
      }
    }
  }
}

/// The session broke before it caught up.
struct SessionFailed: Error, CustomStringConvertible {
  var reason: String
  var description: String { "the session with the relay failed: \(self.reason)" }
}
