import NIOCore
import NIOEmbedded
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("The inbound buffer compactor after TLS")
struct InboundBufferCompactorTests {
  @Test("each read is passed on in a buffer of its own size, and the reader's buffer is left unshared")
  func copiesIntoRightSizedBuffers() throws {
    let channel = EmbeddedChannel(handler: InboundBufferCompactor())
    // What NIOSSL does: decrypt into one large buffer, pass it on, then reuse it.
    var large = channel.allocator.buffer(capacity: 32 * 1024)
    large.writeString("PRI * HTTP/2.0")
    try channel.writeInbound(large)
    let passed = try #require(try channel.readInbound(as: ByteBuffer.self))
    #expect(passed == large)
    #expect(passed.capacity < 1024)
    // The next read writes into the large buffer in place: no one else holds it.
    large.clear()
    let storageBefore = large.withUnsafeReadableBytes { $0.baseAddress }
    large.writeString("SETTINGS")
    #expect(large.withUnsafeReadableBytes { $0.baseAddress } == storageBefore)
    #expect(passed.getString(at: passed.readerIndex, length: passed.readableBytes) == "PRI * HTTP/2.0")
    #expect(try channel.finish().isClean)
  }
}
