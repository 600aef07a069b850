internal import RelayCore

extension SQLiteStore {
  /// SQLite has one writer: commits take turns.
  public var takesConcurrentCommits: Bool { false }
  /// A file of this process alone.
  public var isShared: Bool { false }
  /// No pool of connections to count (GRDB's readers are not leased by the relay).
  public var connectionsInUse: Int? { nil }

  /// The schema was brought up to date when the store opened.
  public func migrate(waitingUpTo wait: Duration) async throws -> [String] { [] }

  /// The file is open in this process: it answers while the process runs.
  public func ping() async -> Bool { true }
}
