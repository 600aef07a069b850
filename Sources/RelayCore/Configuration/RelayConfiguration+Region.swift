internal import Foundation

extension RelayConfiguration {
  /// Running as one node of a region: the truth in a PostgreSQL every node
  /// shares, sessions, presence, typing and doorbells in a shared Redis.
  /// Neither URL set: the embedded default (SQLite, in-process presence).
  public struct Region: Sendable, Hashable {
    /// This relay's region of its domain when the domain has several
    /// (docs/regions.md); nil: the domain's only relay.
    public var name: String?
    /// `postgres://user[:password]@host[:port]/database[?sslmode=...]`.
    public var postgresURL: String?
    /// `redis://host[:port]`. Needs `postgresURL`: nodes can only share
    /// sessions when they share the truth.
    public var redisURL: String?
    /// This node's name, unique in the region: its doorbell channel is
    /// `doorbell:<node id>`. Default: the host name and process id.
    public var nodeID: String
    /// Connections this node keeps to PostgreSQL at most.
    public var postgresPoolSize: Int
    /// How long an operation waits for a pooled connection before it fails
    /// `UNAVAILABLE`: while PostgreSQL is out of reach, sends fail after this.
    public var postgresLeaseTimeout: Duration
    /// The longest PostgreSQL may take over one statement (and a transaction
    /// may stay idle) before the server ends it; a connection that has not
    /// answered an operation 5 s past this bound is closed by the node (the
    /// database stopped answering), and the operation fails `UNAVAILABLE`.
    public var postgresStatementTimeout: Duration
    /// Apply missing schema migrations when the node starts (else run `relay migrate`).
    public var migrateOnStart: Bool
    /// A device's `session:` key lives this long past its last heartbeat, so
    /// the sessions of a node that died without saying so fade away.
    public var sessionTTL: Duration
    /// Group-commit loops running at once; each conversation always uses the
    /// same one, so its sends keep their order.
    public var commitLanes: Int
    /// How often the node checks that PostgreSQL and Redis answer; health is
    /// NOT_SERVING while either does not.
    public var healthCheckInterval: Duration

    public var isRegion: Bool { self.postgresURL != nil }

    public static var defaults: Self {
      Self(
        name: nil, postgresURL: nil, redisURL: nil,
        nodeID: "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
        postgresPoolSize: 16, postgresLeaseTimeout: .seconds(5), postgresStatementTimeout: .seconds(30),
        migrateOnStart: true, sessionTTL: .seconds(90),
        commitLanes: 4,
        healthCheckInterval: .seconds(1))
    }

    package func validate() throws(RelayError) {
      if let name = self.name, !RelayID.isValidRegion(name) {
        throw RelayError(.invalidArgument, "region name '\(name)' must be 1-32 of a-z, 0-9 and '-'")
      }
      if self.redisURL != nil && self.postgresURL == nil {
        throw RelayError(
          .invalidArgument, "a Redis URL needs a PostgreSQL URL too: nodes share sessions only when they share the data"
        )
      }
      guard !self.nodeID.isEmpty, self.nodeID.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
        throw RelayError(.invalidArgument, "node id must be letters, digits, '-', '_' or '.'")
      }
      guard self.postgresPoolSize > 0 else { throw RelayError(.invalidArgument, "postgres pool size must be positive") }
      guard self.postgresLeaseTimeout > .zero else {
        throw RelayError(.invalidArgument, "postgres lease timeout must be positive")
      }
      guard self.postgresStatementTimeout >= .seconds(1) else {
        throw RelayError(.invalidArgument, "postgres statement timeout must be at least one second")
      }
      guard self.commitLanes > 0, self.commitLanes < self.postgresPoolSize else {
        throw RelayError(.invalidArgument, "commit lanes must be at least 1 and fewer than the pool's connections")
      }
    }
  }
}
