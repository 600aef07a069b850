public import Logging
internal import NIOCore
public import ServiceLifecycle
internal import Synchronization

/// A Redis client that stays connected: its ``run()`` connects, subscribes to
/// the channels it was given, and reconnects with backoff whenever the
/// connection drops. Commands sent while there is no connection fail at once
/// with ``RedisError/Code/unavailable`` — callers treat Redis as a hint
/// source, never as the truth.
///
/// ```swift
/// let redis = try RedisClient(url: "redis://127.0.0.1:6379", subscriptions: ["doorbell:node-1"],
///                             logger: logger) { channel, payload in ... }
/// // run `redis` in a ServiceGroup, then:
/// let reply = try await redis.send(["SET", "key", "value", "EX", "60"])
/// ```
public final class RedisClient: Service, Sendable {
  public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    /// Connect timeout, and how long a command may wait for its reply.
    public var timeout: Duration
    /// Reconnect backoff: doubles from `minimumBackoff` up to `maximumBackoff`, with jitter.
    public var minimumBackoff: Duration
    public var maximumBackoff: Duration

    /// Parses `redis://HOST[:PORT]`.
    public init(url: String) throws(RedisError) {
      guard url.hasPrefix("redis://") else {
        throw RedisError(.invalidURL, "a Redis URL looks like redis://host:6379")
      }
      var rest = url.dropFirst("redis://".count)
      if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
      var host = String(rest)
      var port = 6379
      if let colon = rest.lastIndex(of: ":") {
        guard let parsed = Int(rest[rest.index(after: colon)...]), (1 ... 65535).contains(parsed) else {
          throw RedisError(.invalidURL, "the Redis URL's port is not a port number")
        }
        port = parsed
        host = String(rest[..<colon])
      }
      guard !host.isEmpty else { throw RedisError(.invalidURL, "the Redis URL names no host") }
      self.host = host
      self.port = port
      self.timeout = .seconds(10)
      self.minimumBackoff = .milliseconds(50)
      self.maximumBackoff = .seconds(2)
    }
  }

  public typealias MessageHandler = @Sendable (_ channel: String, _ payload: [UInt8]) -> Void

  public let configuration: Configuration
  private let subscriptions: [String]
  private let onMessage: MessageHandler
  private let onConnected: @Sendable () -> Void
  private let logger: Logger
  private let state = Mutex<(commands: RedisConnection?, subscribed: Bool)>((nil, false))
  private let pipelines = Atomic<Int64>(0)

  /// Pipelines (round trips) sent since the client was made.
  public var roundTrips: Int64 { self.pipelines.load(ordering: .relaxed) }

  /// `onConnected` runs each time the client is connected and subscribed
  /// again: a good time to rewrite what a restarted Redis has forgotten.
  public init(
    configuration: Configuration, subscriptions: [String] = [], logger: Logger,
    onConnected: @escaping @Sendable () -> Void = {}, onMessage: @escaping MessageHandler = { _, _ in }
  ) {
    self.configuration = configuration
    self.subscriptions = subscriptions
    self.onMessage = onMessage
    self.onConnected = onConnected
    self.logger = logger
  }

  /// True while a command connection is up and every subscription is confirmed.
  public var isConnected: Bool {
    self.state.withLock { $0.commands != nil && ($0.subscribed || self.subscriptions.isEmpty) }
  }

  public func send(_ command: [String]) async throws -> RedisValue {
    try await self.pipeline([command])[0]
  }

  /// Sends commands in one write; their replies, in order. An error reply is
  /// returned as ``RedisValue/error(_:)``, not thrown.
  public func pipeline(_ commands: [[String]]) async throws -> [RedisValue] {
    guard let connection = self.state.withLock({ $0.commands }) else {
      throw RedisError(.unavailable, "not connected to Redis")
    }
    self.pipelines.add(1, ordering: .relaxed)
    return try await connection.send(commands)
  }

  public func run() async throws {
    var backoff = self.configuration.minimumBackoff
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      do {
        try await self.connectAndServe()
        backoff = self.configuration.minimumBackoff
      } catch {
        self.logger.warning("Redis unreachable; retrying", metadata: ["error": "\(error)"])
      }
      self.state.withLock { $0 = (nil, false) }
      let pause = backoff * Double.random(in: 0.5 ... 1.0)
      try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
      backoff = min(backoff * 2, self.configuration.maximumBackoff)
    }
  }

  /// Connects both connections, subscribes, and waits until either closes
  /// (or the service is cancelled or shutting down).
  private func connectAndServe() async throws {
    let timeout = TimeAmount(self.configuration.timeout)
    let commands = try await RedisConnection.connect(
      host: self.configuration.host, port: self.configuration.port, timeout: timeout)
    let subscriber: RedisConnection?
    do {
      subscriber =
        self.subscriptions.isEmpty
        ? nil
        : try await RedisConnection.connect(
          host: self.configuration.host, port: self.configuration.port, timeout: timeout,
          onPush: { [weak self] value in self?.push(value) })
    } catch {
      commands.close()
      throw error
    }
    defer {
      commands.close()
      subscriber?.close()
    }
    self.state.withLock { $0 = (commands, false) }
    if let subscriber {
      subscriber.sendWithoutReply(["SUBSCRIBE"] + self.subscriptions)
    } else {
      self.onConnected()
    }
    self.logger.info(
      "connected to Redis", metadata: ["redis": "\(self.configuration.host):\(self.configuration.port)"])
    // A close future does not end on cancellation: closing the connections does.
    try await cancelWhenGracefulShutdown {
      try await withTaskCancellationHandler {
        try await withThrowingTaskGroup(of: Void.self) { group in
          group.addTask { try await commands.closed.get() }
          if let subscriber { group.addTask { try await subscriber.closed.get() } }
          // When one closes, close the other too: a close future cannot be
          // cancelled, and the group waits for both.
          defer {
            commands.close()
            subscriber?.close()
          }
          try await group.next()
        }
      } onCancel: {
        commands.close()
        subscriber?.close()
      }
    }
  }

  private func push(_ value: RedisValue) {
    guard let parts = value.array, let kind = parts.first?.text else { return }
    switch kind {
    case "message" where parts.count == 3:
      guard let channel = parts[1].text, case .string(let payload) = parts[2] else { return }
      self.onMessage(channel, payload)
    case "subscribe" where parts.count == 3:
      if parts[2].integer == Int64(self.subscriptions.count) {
        self.state.withLock { $0.subscribed = true }
        self.onConnected()
      }
    default:
      break
    }
  }
}
