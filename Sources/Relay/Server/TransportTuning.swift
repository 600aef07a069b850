public import GRPCNIOTransportHTTP2
internal import NIOCore
internal import NIOSSL
internal import RelayCore

/// The relay's server transport settings beyond TLS, shared with
/// `relay-bench`'s echo server so the ceiling and the memory floor it
/// measures run on exactly the relay's transport.
public enum TransportTuning {
  static let listenBacklog: Int32 = 4096

  /// Applies the settings to `config`, keeping any accept callback it already has.
  public static func apply(to config: inout HTTP2ServerTransport.Posix.Config) {
    let bound = config.channelDebuggingCallbacks.onBindTCPListener
    config.channelDebuggingCallbacks.onBindTCPListener = { channel in
      // Runs before the listener binds: a deep accept queue, so that thousands
      // of devices reconnecting at once (a relay restart) are not dropped at
      // NIO's default of 128 (the kernel caps it at net.core.somaxconn).
      channel.setOption(ChannelOptions.backlog, value: Self.listenBacklog).flatMap {
        bound?(channel) ?? channel.eventLoop.makeSucceededVoidFuture()
      }
    }
    let accepted = config.channelDebuggingCallbacks.onAcceptTCPConnection
    config.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
      do {
        // Runs on the channel's event loop, after gRPC has built the pipeline.
        let operations = channel.pipeline.syncOperations
        let tls = try operations.handler(type: NIOSSLServerHandler.self)
        try operations.addHandler(InboundBufferCompactor(), position: .after(tls))
      } catch {
        return channel.eventLoop.makeFailedFuture(error)
      }
      return accepted?(channel) ?? channel.eventLoop.makeSucceededVoidFuture()
    }
  }
}
