internal import NIOCore

/// The channel handler under a Redis connection. Commands go out in order
/// with their promises queued; replies come back in the same order (RESP
/// pipelining) and complete them. On a subscriber connection every reply is
/// a push (`message`, `subscribe`, ...) and goes to `onPush` instead.
final class RedisHandler: ChannelDuplexHandler {
  typealias InboundIn = ByteBuffer
  typealias OutboundIn = Request
  typealias OutboundOut = ByteBuffer

  struct Request {
    var arguments: [String]
    var promise: EventLoopPromise<RedisValue>?
  }

  private let reader = RESPReader()
  private var pending = CircularBuffer<EventLoopPromise<RedisValue>>()
  private let onPush: (@Sendable (RedisValue) -> Void)?

  init(onPush: (@Sendable (RedisValue) -> Void)?) {
    self.onPush = onPush
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    let request = self.unwrapOutboundIn(data)
    var buffer = context.channel.allocator.buffer(capacity: 64)
    RESPCommand.write(request.arguments, into: &buffer)
    if let reply = request.promise { self.pending.append(reply) }
    context.write(self.wrapOutboundOut(buffer), promise: promise)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    do {
      try self.reader.feed(self.unwrapInboundIn(data))
      while let value = try self.reader.next() {
        if let onPush {
          onPush(value)
        } else if let promise = self.pending.popFirst() {
          promise.succeed(value)
        }
      }
    } catch {
      context.fireErrorCaught(error)
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.failPending(RedisError(.connectionLost, "the connection to Redis closed"))
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    self.failPending(RedisError(.connectionLost, "the connection to Redis failed", cause: error))
    context.close(promise: nil)
  }

  private func failPending(_ error: RedisError) {
    while let promise = self.pending.popFirst() { promise.fail(error) }
  }
}
