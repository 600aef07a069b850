internal import NIOCore
internal import NIOPosix

/// One TCP connection to Redis. Commands may be sent from any task at once:
/// they are pipelined on the connection. A command that gets no reply within
/// `timeout` closes the connection (its replies could no longer be matched).
final class RedisConnection: Sendable {
  let channel: any Channel
  private let timeout: TimeAmount

  private init(channel: any Channel, timeout: TimeAmount) {
    self.channel = channel
    self.timeout = timeout
  }

  static func connect(
    host: String, port: Int, timeout: TimeAmount, onPush: (@Sendable (RedisValue) -> Void)? = nil
  ) async throws -> RedisConnection {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connectTimeout(timeout)
      .channelOption(.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(RedisHandler(onPush: onPush))
        }
      }
      .connect(host: host, port: port).get()
    return RedisConnection(channel: channel, timeout: timeout)
  }

  /// Sends commands in one write and returns their replies in order.
  func send(_ commands: [[String]]) async throws -> [RedisValue] {
    let loop = self.channel.eventLoop
    let promises = commands.map { _ in loop.makePromise(of: RedisValue.self) }
    for (command, promise) in zip(commands, promises) {
      // A write on a closed channel never reaches the handler: fail its reply here.
      let written = loop.makePromise(of: Void.self)
      written.futureResult.whenFailure { error in
        promise.fail(RedisError(.connectionLost, "the connection to Redis closed", cause: error))
      }
      self.channel.write(RedisHandler.Request(arguments: command, promise: promise), promise: written)
    }
    self.channel.flush()
    let channel = self.channel
    let deadline = loop.scheduleTask(in: self.timeout) { channel.close(promise: nil) }
    defer { deadline.cancel() }
    var replies = [RedisValue]()
    replies.reserveCapacity(commands.count)
    for promise in promises { replies.append(try await promise.futureResult.get()) }
    return replies
  }

  /// Writes a command whose replies arrive as pushes (SUBSCRIBE).
  func sendWithoutReply(_ command: [String]) {
    self.channel.writeAndFlush(RedisHandler.Request(arguments: command, promise: nil), promise: nil)
  }

  var closed: EventLoopFuture<Void> { self.channel.closeFuture }

  func close() {
    self.channel.close(promise: nil)
  }
}
