extension RelayConfiguration {
  /// Every limit is enforced before any work is done.
  public struct Limits: Sendable, Hashable {
    /// Largest sealed ciphertext for one device, in bytes.
    public var maxEnvelopeBytes: Int
    /// Most ciphertexts (recipient devices) in one send.
    public var maxCopiesPerSend: Int
    /// Most members in a group conversation.
    public var maxGroupMembers: Int
    /// Most devices one user may register.
    public var maxDevicesPerUser: Int
    /// Most prekeys (of each kind) in one upload, and stored per device.
    public var maxPrekeysPerUpload: Int
    public var maxStoredPrekeys: Int
    /// Sustained sends per second per device, and the burst above it.
    public var sendsPerSecond: Double
    public var sendBurst: Double
    /// Largest gRPC message a client may send, in bytes.
    public var maxFrameBytes: Int
    /// Most sends one stream may have waiting for their commit.
    public var maxInFlightSendsPerStream: Int
    /// Most sends committed in one transaction (group commit).
    public var maxSendsPerCommit: Int
    /// Mailbox entries per sync page, and the page-size cap of list calls.
    public var syncPageSize: Int
    public var maxPageSize: Int

    public static var defaults: Self {
      Self(
        maxEnvelopeBytes: 64 * 1024,
        maxCopiesPerSend: 1024,
        maxGroupMembers: 1000,
        maxDevicesPerUser: 8,
        maxPrekeysPerUpload: 200,
        maxStoredPrekeys: 1000,
        sendsPerSecond: 50,
        sendBurst: 200,
        maxFrameBytes: 4 * 1024 * 1024,
        maxInFlightSendsPerStream: 128,
        maxSendsPerCommit: 256,
        syncPageSize: 200,
        maxPageSize: 500
      )
    }
  }

  public struct Presence: Sendable, Hashable {
    /// How often clients are expected to heartbeat.
    public var heartbeatInterval: Duration
    /// A device with no heartbeat for this long is offline, and its stream closed.
    public var ttl: Duration
    /// A typing indicator ends by itself after this long.
    public var typingTTL: Duration
    /// How often expired presence and typing are swept.
    public var sweepInterval: Duration

    public static var defaults: Self {
      Self(heartbeatInterval: .seconds(30), ttl: .seconds(60), typingTTL: .seconds(5), sweepInterval: .seconds(1))
    }
  }

  public struct Connection: Sendable, Hashable {
    /// A connection that has not finished its TLS handshake this long after
    /// it was accepted is closed.
    public var handshakeTimeout: Duration
    /// A connection with no open call for this long is closed.
    public var idleTimeout: Duration
    /// How long a graceful shutdown waits for streams to finish.
    public var shutdownGracePeriod: Duration
    /// Calls open at once on one connection, advertised to clients in
    /// HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS: a client queues its next
    /// call until one ends, instead of losing the connection.
    public var maxConcurrentStreams: Int
    /// Calls opened a second from one client address (bursts of twice as
    /// many), whatever its connections; past it, the connection that opened
    /// one more is closed. Stops resets spread over many connections.
    public var streamsPerSecondPerAddress: Double
    /// Calls opened a second on the whole relay (bursts of twice as many).
    public var streamsPerSecond: Double

    public static var defaults: Self {
      Self(
        handshakeTimeout: .seconds(10), idleTimeout: .seconds(30), shutdownGracePeriod: .seconds(5),
        maxConcurrentStreams: 100, streamsPerSecondPerAddress: 1000, streamsPerSecond: 20_000)
    }
  }
}
