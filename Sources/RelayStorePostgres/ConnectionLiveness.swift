internal import NIOConcurrencyHelpers
internal import PostgresNIO
internal import RelayCore
internal import Synchronization

/// When a leased connection last showed it was alive: a statement was sent
/// or answered. The store's watchdog closes a connection that has had a
/// statement unanswered for longer than its bound — however long the whole
/// operation takes (a migration runs many statements), each one must answer.
final class ConnectionLiveness: Sendable {
  private let last = Mutex(ContinuousClock.now)

  /// The liveness of the connection the current task's statements run on.
  @TaskLocal static package var current: ConnectionLiveness?

  var lastSign: ContinuousClock.Instant { self.last.withLock { $0 } }

  /// A statement was sent, or answered.
  func touch() { self.last.withLock { $0 = .now } }

  /// Records a statement's start and its answer (or failure) around `body`.
  static func statement<T>(_ body: () async throws -> T) async throws -> T {
    Self.current?.touch()
    defer { Self.current?.touch() }
    return try await body()
  }

  /// `body` on `connection`, closing the connection if a statement of it
  /// goes unanswered for `bound` (a silent database answers nothing, not even
  /// an error); `body` may run longer than `bound` as long as each statement answers.
  static func watched<T: Sendable>(
    within bound: Duration, on connection: PostgresConnection, _ what: String,
    _ body: @Sendable @escaping (PostgresConnection) async throws -> T
  ) async throws -> T {
    let silent = NIOLockedValueBox(false)
    let liveness = ConnectionLiveness()
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask { try await ConnectionLiveness.$current.withValue(liveness) { try await body(connection) } }
      group.addTask {
        while ContinuousClock.now < liveness.lastSign + bound {
          try await Task.sleep(until: liveness.lastSign + bound)
        }
        silent.withLockedValue { $0 = true }
        try? await connection.close()
        return nil
      }
      defer { group.cancelAll() }
      do {
        while let result = try await group.next() {
          if let result { return result }
        }
      } catch  where silent.withLockedValue({ $0 }) {
        throw RelayError(.unavailable, "the database left a statement unanswered for \(bound) (\(what))", cause: error)
      }
      throw RelayError(.internal, "a database operation ended without a result")
    }
  }
}
