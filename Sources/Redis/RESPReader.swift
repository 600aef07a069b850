internal import CHiredis
package import NIOCore

/// hiredis's incremental reply reader: feed it bytes as they arrive, take
/// complete replies out. Belongs to one channel's event loop.
package final class RESPReader {
  private let reader: UnsafeMutablePointer<redisReader>

  package init() {
    self.reader = redisReaderCreate()
  }

  deinit {
    redisReaderFree(self.reader)
  }

  package func feed(_ buffer: ByteBuffer) throws(RedisError) {
    let status = buffer.withUnsafeReadableBytes { bytes in
      redisReaderFeed(self.reader, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }
    if status != REDIS_OK { throw RedisError(.protocolError, "hiredis refused the bytes") }
  }

  /// The next complete reply, or nil until more bytes arrive.
  package func next() throws(RedisError) -> RedisValue? {
    var reply: UnsafeMutableRawPointer?
    guard redisReaderGetReply(self.reader, &reply) == REDIS_OK else {
      throw RedisError(.protocolError, "the server's reply is not RESP")
    }
    guard let reply else { return nil }
    defer { freeReplyObject(reply) }
    return Self.value(reply.assumingMemoryBound(to: redisReply.self))
  }

  private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
    let r = reply.pointee
    func bytes() -> [UInt8] {
      guard let str = r.str else { return [] }
      return Array(UnsafeRawBufferPointer(start: str, count: r.len))
    }
    switch r.type {
    case REDIS_REPLY_STRING: return .string(bytes())
    case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
    case REDIS_REPLY_ERROR: return .error(String(decoding: bytes(), as: UTF8.self))
    case REDIS_REPLY_INTEGER: return .integer(r.integer)
    case REDIS_REPLY_ARRAY:
      return .array((0 ..< r.elements).map { index in Self.value(r.element[index]!) })
    default: return .null
    }
  }
}
