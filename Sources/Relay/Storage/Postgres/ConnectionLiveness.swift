internal import Synchronization

/// When a leased connection last showed it was alive: a statement was sent
/// or answered. The store's watchdog closes a connection that has had a
/// statement unanswered for longer than its bound — however long the whole
/// operation takes (a migration runs many statements), each one must answer.
final class ConnectionLiveness: Sendable {
  private let last = Mutex(ContinuousClock.now)

  /// The liveness of the connection the current task's statements run on.
  @TaskLocal static var current: ConnectionLiveness?

  var lastSign: ContinuousClock.Instant { self.last.withLock { $0 } }

  /// A statement was sent, or answered.
  func touch() { self.last.withLock { $0 = .now } }

  /// Records a statement's start and its answer (or failure) around `body`.
  static func statement<T>(_ body: () async throws -> T) async throws -> T {
    Self.current?.touch()
    defer { Self.current?.touch() }
    return try await body()
  }
}
