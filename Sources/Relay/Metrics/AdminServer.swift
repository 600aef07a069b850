internal import NIOCore
internal import NIOHTTP1
internal import NIOPosix
internal import ServiceLifecycle

/// The admin listener: plain HTTP, `GET /metrics` in the Prometheus text
/// format, 404 for anything else. Bind it to a private address: it has no
/// authentication.
struct AdminServer: Service {
  let address: RelayConfiguration.Listen
  let metrics: RelayMetrics

  func run() async throws {
    let metrics = self.metrics
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline().flatMap {
          channel.pipeline.addHandler(MetricsHandler(metrics: metrics))
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

  private final class MetricsHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let metrics: RelayMetrics

    init(metrics: RelayMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard case .head(let request) = self.unwrapInboundIn(data) else { return }
      let found = request.method == .GET && request.uri.split(separator: "?").first == "/metrics"
      let body = found ? self.metrics.exposition() : Array("not found\n".utf8)
      var headers = HTTPHeaders()
      headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
      headers.add(name: "Content-Length", value: "\(body.count)")
      headers.add(name: "Connection", value: "close")
      let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
      context.write(self.wrapOutboundOut(.head(head)), promise: nil)
      context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
      context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
  }
}
