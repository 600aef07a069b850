internal import NIOCore
internal import RelayCore

/// On the listening channel: reports the port once the listener is bound
/// (a server channel becomes active when its bind succeeds).
final class ListenerBound: ChannelInboundHandler, Sendable {
  typealias InboundIn = any Channel

  private let bound: @Sendable (Int) -> Void

  init(_ bound: @escaping @Sendable (Int) -> Void) { self.bound = bound }

  func channelActive(context: ChannelHandlerContext) {
    if let port = context.channel.localAddress?.port { self.bound(port) }
    context.fireChannelActive()
  }
}
