import NIOCore
import NIOPosix
import Synchronization

/// A loopback TCP proxy a test can cut, as a network partition would: every
/// connection through it closes and the port refuses new ones, until it is
/// healed — a database that is briefly unreachable, without stopping the
/// server other tests share.
final class TCPProxy: Sendable {
  let port: Int
  private let targetPort: Int
  private let box = Box()

  /// The listening channel (nil while cut) and the connections through it.
  private final class Box: Sendable {
    let state = Mutex<(listener: (any Channel)?, open: [ObjectIdentifier: any Channel])>((nil, [:]))
    /// While set, bytes are dropped both ways and connections stay open: a half-open link.
    let frozen = Mutex(false)
    /// While set, nothing is read either way: bytes wait in the sockets, as for a stopped process.
    let paused = Mutex(false)
    /// Closes that happened while frozen or paused, passed on when it ends: a silent network carries no FIN either.
    let heldCloses = Mutex<[any Channel]>([])

    /// Closes `partner` now, or when the silence ends.
    func close(_ partner: any Channel) {
      let held = self.heldCloses.withLock { held in
        guard self.frozen.withLock({ $0 }) || self.paused.withLock({ $0 }) else { return false }
        held.append(partner)
        return true
      }
      if !held { partner.close(promise: nil) }
    }

    /// Passes on the closes held while silent.
    func releaseCloses() {
      for channel in self.heldCloses.withLock({ held in
        defer { held = [] }
        return held
      }) {
        channel.close(promise: nil)
      }
    }
  }

  init(targetPort: Int) async throws {
    self.targetPort = targetPort
    let listener = try await Self.listen(port: 0, targetPort: targetPort, box: self.box)
    self.port = listener.localAddress!.port!
  }

  /// Closes every connection through the proxy and stops listening.
  func cut() async {
    let (listener, open) = self.box.state.withLock { state in
      defer { state = (nil, [:]) }
      return (state.listener, Array(state.open.values))
    }
    for channel in open { channel.close(promise: nil) }
    try? await listener?.close()
  }

  /// Drops every byte both ways, keeping connections (and new ones) open: the
  /// peer is silent, as a frozen process or a half-open TCP link would be.
  func freeze() { self.box.frozen.withLock { $0 = true } }

  /// Forwards again.
  func thaw() {
    self.box.frozen.withLock { $0 = false }
    self.box.releaseCloses()
  }

  /// Stops reading both ways, keeping connections (and new ones) open: the
  /// far side stops answering and what is sent waits in the sockets, as for a
  /// stopped process; ``resume()`` delivers it.
  func pause() async {
    self.box.paused.withLock { $0 = true }
    for channel in self.box.state.withLock({ Array($0.open.values) }) {
      try? await channel.setOption(.autoRead, value: false).get()
    }
  }

  /// Reads (and forwards) again, starting with what waited.
  func resume() async {
    self.box.paused.withLock { $0 = false }
    for channel in self.box.state.withLock({ Array($0.open.values) }) {
      try? await channel.setOption(.autoRead, value: true).get()
    }
    self.box.releaseCloses()
  }

  /// Listens again, on the same port.
  func heal() async throws {
    _ = try await Self.listen(port: self.port, targetPort: self.targetPort, box: self.box)
  }

  func close() async { await self.cut() }

  private static func listen(
    port: Int, targetPort: Int, box: Box
  ) async throws -> any Channel {
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { inbound in
        ClientBootstrap(group: inbound.eventLoop)
          .connect(host: "127.0.0.1", port: targetPort)
          .flatMap { outbound in
            // A connection that was being set up when the proxy was cut does not survive it.
            let live = box.state.withLock { state in
              guard state.listener != nil else { return false }
              state.open[ObjectIdentifier(inbound)] = inbound
              state.open[ObjectIdentifier(outbound)] = outbound
              return true
            }
            guard live else {
              outbound.close(promise: nil)
              return inbound.close()
            }
            return inbound.pipeline.addHandler(Glue(partner: outbound, box: box)).flatMap {
              outbound.pipeline.addHandler(Glue(partner: inbound, box: box))
            }.flatMap {
              // A connection made while paused waits too (pause() saw it in `open`, or this sees the flag).
              guard box.paused.withLock({ $0 }) else { return inbound.eventLoop.makeSucceededVoidFuture() }
              return inbound.setOption(.autoRead, value: false).and(outbound.setOption(.autoRead, value: false))
                .map { _ in }
            }
          }
      }
      .bind(host: "127.0.0.1", port: port).get()
    box.state.withLock { $0.listener = listener }
    return listener
  }

  /// Copies bytes to the partner channel; closes it when this side closes.
  private final class Glue: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let partner: any Channel
    let box: Box

    init(partner: any Channel, box: Box) {
      self.partner = partner
      self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      guard !self.box.frozen.withLock({ $0 }) else { return }
      self.partner.writeAndFlush(self.unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
      self.box.close(self.partner)
      context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      context.close(promise: nil)
    }
  }
}
