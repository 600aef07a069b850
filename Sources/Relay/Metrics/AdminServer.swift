internal import Federation
internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import RelayCore
internal import ServiceLifecycle

/// The admin listener: plain HTTP, `GET /metrics` in the Prometheus text
/// format, `GET /peers` the federation peers' state as JSON (`relay peers`),
/// 404 for anything else. Bind it to a private address: it has no
/// authentication.
struct AdminServer: Service {
  let address: RelayConfiguration.Listen
  let metrics: RelayMetrics
  let federator: Federator?

  func run() async throws {
    let metrics = self.metrics
    let federator = self.federator
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(AdminHandler(metrics: metrics, federator: federator))
        }
      }
      .bind(host: self.address.host, port: self.address.port).get()
    try await withTaskCancellationHandler {
      try await withGracefulShutdownHandler {
        try await channel.closeFuture.get()
      } onGracefulShutdown: {
        channel.close(promise: nil)
      }
    } onCancel: {
      channel.close(promise: nil)
    }
  }

  private final class AdminHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: RelayMetrics
    let federator: Federator?

    init(metrics: RelayMetrics, federator: Federator?) {
      self.metrics = metrics
      self.federator = federator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard case .head(let request) = self.unwrapInboundIn(data) else { return }
      let path = request.method == .GET ? request.uri.split(separator: "?").first : nil
      let (found, body, type): (Bool, [UInt8], String) =
        switch path {
        case "/metrics": (true, self.metrics.exposition(), "text/plain; version=0.0.4")
        case "/peers": (true, self.federator?.statusJSON() ?? Array("[]".utf8), "application/json")
        default: (false, Array("not found\n".utf8), "text/plain")
        }
      var headers = HTTPHeaders()
      headers.add(name: "Content-Type", value: type)
      headers.add(name: "Content-Length", value: "\(body.count)")
      headers.add(name: "Connection", value: "close")
      let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
      context.write(self.wrapOutboundOut(.head(head)), promise: nil)
      context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
      let channel = context.channel
      context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
  }
}
