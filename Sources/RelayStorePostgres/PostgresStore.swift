internal import Foundation
public import Logging
internal import NIOConcurrencyHelpers
internal import NIOCore
internal import PostgresNIO
public import RelayCore
public import ServiceLifecycle
internal import Wire

/// The region backend: PostgreSQL through a postgres-nio connection pool,
/// shared by every relay node of the region.
///
/// Concurrent nodes never collide: a conversation's `last_seq` and a device's
/// `mailbox_head` are advanced under their row locks, held to commit, so
/// numbers are handed out in commit order and a reader never sees a later
/// number before an earlier one. Transactions take those locks in one order
/// (conversations, then devices, each sorted), and a deadlock or
/// serialization failure is retried.
///
/// It is a `Service`: ``run()`` runs the pool, and must run while it is used.
public final class PostgresStore: RelayStore, Service {
  let client: PostgresClient
  let logger: Logger
  /// How long an operation waits for a pooled connection before it fails
  /// `unavailable` (while PostgreSQL is out of reach, the pool only retries).
  let leaseTimeout: Duration
  /// This relay's region of its domain, when it is one (docs/regions.md).
  let region: LocalRegion?
  /// Set once ``run()`` has started the pool; leases wait for it briefly.
  private let running = NIOLockedValueBox(false)
  private let inUse = NIOLockedValueBox(0)

  /// Connections leased right now (for the metrics).
  public var connectionsInUse: Int? { self.inUse.withLockedValue { $0 } }
  /// Several nodes, and several commit lanes on each, write at once.
  public var takesConcurrentCommits: Bool { true }
  /// Shared by the nodes of a region.
  public var isShared: Bool { true }

  /// The longest a statement may run, and a transaction stay idle, on the server.
  let statementTimeout: Duration
  /// How long an operation on a leased connection may go unanswered before
  /// the connection is closed: the server's own bound and 5 s for the network.
  var answerTimeout: Duration { self.statementTimeout + .seconds(5) }

  public init(
    url: String, poolSize: Int, leaseTimeout: Duration = .seconds(5), statementTimeout: Duration = .seconds(30),
    region: LocalRegion? = nil, logger: Logger
  ) throws(RelayError) {
    self.leaseTimeout = leaseTimeout
    self.region = region
    self.statementTimeout = statementTimeout
    var configuration = try PostgresURL(url).clientConfiguration()
    configuration.options.maximumConnections = poolSize
    configuration.options.connectTimeout = .seconds(5)
    // No statement, and no transaction left open, holds a connection (and its
    // locks) for ever: PostgreSQL ends them itself past these bounds (and
    // ``leased(_:waitingUpTo:_:)`` closes a connection that stops answering).
    let milliseconds = Int(statementTimeout / .milliseconds(1))
    configuration.options.additionalStartupParameters = [
      ("statement_timeout", "\(milliseconds)"), ("idle_in_transaction_session_timeout", "\(milliseconds)"),
    ]
    // An idle pooled connection runs a query every 15 s: a dead one is found and replaced.
    configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
    // The pool logs every failed connection attempt at info; the dependency
    // monitor reports an unreachable database once, so keep the pool's warnings only.
    var poolLogger = logger
    poolLogger.logLevel = max(logger.logLevel, .warning)
    self.client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
    self.logger = logger
  }

  public func run() async throws {
    // The pool runs until cancelled; a graceful shutdown cancels it too,
    // after every service started later (the committer among them) is done.
    await cancelWhenGracefulShutdown {
      self.running.withLockedValue { $0 = true }
      await self.client.run()
    }
  }

  /// Runs `body` in a transaction, again if PostgreSQL chose it as a
  /// deadlock victim or failed it for serialization. A ``RelayError`` thrown by
  /// `body` rolls back and surfaces as it is.
  func transaction<T: Sendable>(
    _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
  ) async throws -> T {
    var attempt = 0
    while true {
      do {
        return try await self.leased(what, waitingUpTo: self.leaseTimeout) { connection in
          try await connection.inTransaction(body)
        }
      } catch let relayError as RelayError {
        throw relayError
      } catch {
        attempt += 1
        if Self.isRetryable(error), attempt < 8 {
          try await Task.sleep(for: .milliseconds(Int.random(in: 1 ... 5 * attempt)))
          continue
        }
        throw Self.mapped(error, what)
      }
    }
  }

  /// Runs `body` on a pooled connection, outside a transaction; the wait for
  /// the connection is ``leaseTimeout`` unless `wait` says otherwise.
  func read<T: Sendable>(
    _ what: String, waitingUpTo wait: Duration? = nil,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> T
  ) async throws -> T {
    do {
      return try await self.leased(what, waitingUpTo: wait ?? self.leaseTimeout, body)
    } catch let relayError as RelayError {
      throw relayError
    } catch {
      throw Self.mapped(error, what)
    }
  }

  /// Runs `body` on a pooled connection, failing if none is leased within
  /// `wait`. Once `body` runs it is never cut short while the database
  /// answers: a commit's outcome is the database's. If the connection goes
  /// unanswered past ``answerTimeout`` (PostgreSQL or the network went
  /// silent), it is closed and `body` fails: the outcome is unknown, so
  /// nothing is acknowledged (a retried send finds its commit by its client
  /// message id). Once the wait has failed, `body` never runs, even if a
  /// connection turns up later.
  private func leased<T: Sendable>(
    _ what: String, waitingUpTo wait: Duration, _ body: @Sendable @escaping (PostgresConnection) async throws -> T
  ) async throws -> T {
    // Services start together: give the pool's own service a moment to begin.
    for _ in 0 ..< 100 where !self.running.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
    let lease = NIOLockedValueBox(LeaseState.waiting)
    let timedOut = RelayError(.unavailable, "no database connection within \(wait) (\(what))")
    return try await withThrowingTaskGroup(of: T?.self) { group in
      group.addTask {
        try await self.client.withConnection { connection in
          guard lease.withLockedValue({ $0.start() }) else { throw timedOut }
          self.inUse.withLockedValue { $0 += 1 }
          defer { self.inUse.withLockedValue { $0 -= 1 } }
          return try await ConnectionLiveness.watched(within: self.answerTimeout, on: connection, what, body)
        }
      }
      group.addTask {
        try await Task.sleep(for: wait)
        if lease.withLockedValue({ $0.timeOut() }) { throw timedOut }
        return nil
      }
      defer { group.cancelAll() }
      while let result = try await group.next() {
        if let result { return result }
      }
      throw RelayError(.internal, "a database operation ended without a result")
    }
  }

  /// A lease either starts its work or times out, never both.
  private enum LeaseState {
    case waiting, started, timedOut

    /// True when the work may start (the wait has not failed).
    mutating func start() -> Bool {
      guard self == .waiting else { return false }
      self = .started
      return true
    }

    /// True when the wait has failed (the work had not started).
    mutating func timeOut() -> Bool {
      guard self == .waiting else { return false }
      self = .timedOut
      return true
    }
  }

  private static func sqlState(_ error: any Error) -> String? {
    (error as? PSQLError)?.serverInfo?[.sqlState]
  }

  private static func isRetryable(_ error: any Error) -> Bool {
    // 40P01 deadlock_detected, 40001 serialization_failure.
    ["40P01", "40001"].contains(Self.sqlState(error))
  }

  /// A server error is the store's fault (`internal`), except those that
  /// say the database is busy, stopping or cut off: a connection exception
  /// (class 08), insufficient resources (53: too many connections),
  /// operator intervention (57: a statement timeout, a shutdown) and an idle
  /// transaction ended by its timeout (25P03). Those, and anything that is
  /// not a server error — no connection, a closed pool — are `unavailable`:
  /// retry later.
  private static func mapped(_ error: any Error, _ what: String) -> RelayError {
    guard let state = Self.sqlState(error) else {
      return RelayError(.unavailable, "the database is unavailable (\(what))", cause: error)
    }
    if ["08", "53", "57"].contains(String(state.prefix(2))) || state == "25P03" {
      return RelayError(.unavailable, "the database is busy or unavailable (\(what))", cause: error)
    }
    // The SQLSTATE says which failure it was, without any of the data.
    return RelayError(.internal, "\(what) failed (SQLSTATE \(state))", cause: error)
  }
}

extension PostgresStore {
  /// True when a pooled connection is leased within the lease timeout and
  /// PostgreSQL answers `SELECT 1` on it.
  public func ping() async -> Bool {
    (try? await self.read("checking the database") { db in try await db.run("SELECT 1") }) != nil
  }
}
