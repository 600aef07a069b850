internal import NIOCore
internal import RelayCore

/// Sits right after the TLS handler and hands each read on in a buffer of its
/// own size.
///
/// NIOSSL decrypts into one 32 KiB buffer per connection and passes that very
/// buffer down the pipeline. The HTTP/2 frame decoder keeps a reference to the
/// last buffer it was given, so on the next read NIOSSL finds its buffer
/// shared and allocates another 32 KiB: an idle connection ends up holding
/// two. A copy of the few bytes actually read (one `memcpy`, next to the
/// decryption that produced them) lets NIOSSL reuse its buffer in place.
final class InboundBufferCompactor: ChannelInboundHandler, Sendable {
  typealias InboundIn = ByteBuffer
  typealias InboundOut = ByteBuffer

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let buffer = Self.unwrapInboundIn(data)
    var compact = context.channel.allocator.buffer(capacity: buffer.readableBytes)
    compact.writeImmutableBuffer(buffer)
    context.fireChannelRead(Self.wrapInboundOut(compact))
  }
}
