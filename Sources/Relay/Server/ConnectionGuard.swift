internal import NIOCore
internal import NIOSSL
internal import RelayCore
internal import Synchronization

/// Closes connections that never become useful, which grpc-swift's own idle
/// timer does not cover: one that has not completed its TLS handshake within
/// `handshakeTimeout` of being accepted, and one that has not opened a single
/// call within `idleTimeout` (after its first call, the transport's idle timer
/// takes over).
final class ConnectionGuard: Sendable {
  private let handshakeTimeout: TimeAmount
  private let idleTimeout: TimeAmount
  /// Connections that have opened at least one HTTP/2 stream.
  private let used = Mutex<Set<ObjectIdentifier>>([])
  /// How fast streams may open, per client address and in all.
  private let streams: StreamGate
  /// Called with each refusal (for the metrics).
  private let refused: @Sendable (StreamAdmission.Refusal) -> Void

  init(
    handshakeTimeout: Duration, idleTimeout: Duration, streams: StreamAdmission.Limits,
    refused: @escaping @Sendable (StreamAdmission.Refusal) -> Void = { _ in }
  ) {
    self.handshakeTimeout = TimeAmount(handshakeTimeout)
    self.idleTimeout = TimeAmount(idleTimeout)
    self.streams = StreamGate(streams)
    self.refused = refused
  }

  /// Call for every accepted TCP connection.
  func accepted(_ channel: any Channel) {
    let id = ObjectIdentifier(channel)
    channel.closeFuture.whenComplete { _ in _ = self.used.withLock { $0.remove(id) } }
    channel.eventLoop.scheduleTask(in: self.handshakeTimeout) {
      // With mutual TLS, a completed handshake always has a verified peer chain.
      channel.nioSSL_peerValidatedCertificateChain().whenComplete { result in
        if case .success(.some) = result { return }
        channel.close(promise: nil)
      }
    }
    channel.eventLoop.scheduleTask(in: self.idleTimeout) {
      if !self.used.withLock({ $0.contains(id) }) { channel.close(promise: nil) }
    }
  }

  /// Call for every HTTP/2 stream (call) a connection opens. A stream from
  /// an address over its rate (or past the relay's) closes its connection.
  func opened(stream: any Channel) {
    guard let connection = stream.parent else { return }
    _ = self.used.withLock { $0.insert(ObjectIdentifier(connection)) }
    let address = connection.remoteAddress?.ipAddress ?? ""
    if let refusal = self.streams.admit(address) {
      self.refused(refusal)
      connection.close(promise: nil)
    }
  }
}
