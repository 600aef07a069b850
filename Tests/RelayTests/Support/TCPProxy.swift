import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy a test can cut: every connection through it closes,
/// and new ones are refused, until it is healed — a database that is briefly
/// unreachable, without stopping the server other tests share.
final class TCPProxy: Sendable {
  let port: Int
  private let server: any Channel
  private let box: Box

  private final class Box: Sendable {
    let state = Mutex<(cut: Bool, open: [ObjectIdentifier: any Channel])>((false, [:]))
  }

  init(targetPort: Int) async throws {
    let box = Box()
    self.server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { inbound in
        if box.state.withLock({ $0.cut }) { return inbound.close() }
        return ClientBootstrap(group: inbound.eventLoop)
          .connect(host: "127.0.0.1", port: targetPort)
          .flatMap { outbound in
            box.state.withLock { state in
              state.open[ObjectIdentifier(inbound)] = inbound
              state.open[ObjectIdentifier(outbound)] = outbound
            }
            return inbound.pipeline.addHandler(Glue(partner: outbound)).flatMap {
              outbound.pipeline.addHandler(Glue(partner: inbound))
            }
          }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    self.port = self.server.localAddress!.port!
    self.box = box
  }

  /// Closes every connection through the proxy and refuses new ones.
  func cut() {
    let open = self.box.state.withLock { state in
      state.cut = true
      defer { state.open = [:] }
      return Array(state.open.values)
    }
    for channel in open { channel.close(promise: nil) }
  }

  func heal() {
    self.box.state.withLock { $0.cut = false }
  }

  func close() async {
    self.cut()
    try? await self.server.close()
  }

  /// Copies bytes to the partner channel; closes it when this side closes.
  private final class Glue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let partner: any Channel

    init(partner: any Channel) { self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      self.partner.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
      self.partner.close(promise: nil)
      context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }
}
