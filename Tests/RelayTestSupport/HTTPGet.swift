import NIOCore
import NIOPosix
import Synchronization

/// A plain HTTP/1.1 GET on loopback: the status code and the body.
func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
  let collected = Collected()
  let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .channelInitializer { channel in
      channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collected) }
    }
    .connect(host: "127.0.0.1", port: port).get()
  try await channel.writeAndFlush(
    ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"))
  try await channel.closeFuture.get()
  let text = collected.text.withLock { $0 }
  let parts = text.split(separator: "\r\n\r\n", maxSplits: 1)
  let status = parts.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
  return (status, parts.count > 1 ? String(parts[1]) : "")
}

private final class Collected: ChannelInboundHandler, Sendable {
  typealias InboundIn = ByteBuffer
  let text = Mutex("")

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = self.unwrapInboundIn(data)
    self.text.withLock { $0 += String(buffer: buffer) }
  }
}
