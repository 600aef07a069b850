package import NIOCore

/// An incremental RESP2 reply reader: feed it bytes as they arrive, take
/// complete replies out. Belongs to one channel's event loop.
///
/// Whatever answers on Redis's address chooses these bytes, so every length
/// is checked before anything is allocated for it: a bulk string, an array's
/// element count, the nesting depth, a line and the bytes buffered while a
/// reply is incomplete are all bounded (``Limits``); past a bound the reply
/// is a protocol error and the connection is dropped. (hiredis's reader,
/// used before, allocated an array's elements up front: `*666666661` asked
/// for 5 GB. The fuzzer found it.)
package final class RESPReader {
  package struct Limits: Sendable {
    /// The largest bulk string (Redis's own cap is 512 MiB; the relay stores nothing large there).
    package var maxBulkBytes: Int
    /// The most elements of one array.
    package var maxElements: Int
    /// Arrays within arrays, at most this deep.
    package var maxDepth: Int
    /// The longest status, error or number line.
    package var maxLineBytes: Int
    /// Bytes held while a reply is incomplete.
    package var maxBufferedBytes: Int

    package static var defaults: Self {
      Self(
        maxBulkBytes: 16 << 20, maxElements: 1 << 16, maxDepth: 8, maxLineBytes: 64 << 10,
        maxBufferedBytes: 64 << 20)
    }
  }

  private let limits: Limits
  private var buffer = ByteBuffer()

  package init(limits: Limits = .defaults) {
    self.limits = limits
  }

  package func feed(_ bytes: ByteBuffer) throws(RedisError) {
    var bytes = bytes
    self.buffer.writeBuffer(&bytes)
    guard self.buffer.readableBytes <= self.limits.maxBufferedBytes else {
      throw RedisError(.protocolError, "a reply is over \(self.limits.maxBufferedBytes) bytes")
    }
  }

  /// The next complete reply, or nil until more bytes arrive.
  package func next() throws(RedisError) -> RedisValue? {
    var view = self.buffer
    guard let value = try self.parse(&view, depth: 0) else { return nil }
    self.buffer = view
    if self.buffer.readableBytes == 0 { self.buffer.clear() } else { self.buffer.discardReadBytes() }
    return value
  }

  private func parse(_ bytes: inout ByteBuffer, depth: Int) throws(RedisError) -> RedisValue? {
    guard let type = bytes.readInteger(as: UInt8.self) else { return nil }
    guard let line = try self.line(&bytes) else { return nil }
    switch type {
    case UInt8(ascii: "+"):
      return .status(String(decoding: line, as: UTF8.self))
    case UInt8(ascii: "-"):
      return .error(String(decoding: line, as: UTF8.self))
    case UInt8(ascii: ":"):
      return .integer(try Self.number(line))
    case UInt8(ascii: "$"):
      let length = try Self.number(line)
      if length == -1 { return .null }
      guard length >= 0, length <= self.limits.maxBulkBytes else {
        throw RedisError(.protocolError, "a bulk string of \(length) bytes")
      }
      guard bytes.readableBytes >= Int(length) + 2, let body = bytes.readBytes(length: Int(length)) else { return nil }
      guard bytes.readInteger(as: UInt16.self) == 0x0D0A else {
        throw RedisError(.protocolError, "a bulk string does not end with CRLF")
      }
      return .string(body)
    case UInt8(ascii: "*"):
      let count = try Self.number(line)
      if count == -1 { return .null }
      guard count >= 0, count <= self.limits.maxElements else {
        throw RedisError(.protocolError, "an array of \(count) elements")
      }
      guard depth < self.limits.maxDepth else { throw RedisError(.protocolError, "arrays nested too deep") }
      var elements = [RedisValue]()
      // Each element takes at least 3 bytes: reserve no more than what has arrived could hold.
      elements.reserveCapacity(min(Int(count), bytes.readableBytes / 3))
      for _ in 0 ..< count {
        guard let element = try self.parse(&bytes, depth: depth + 1) else { return nil }
        elements.append(element)
      }
      return .array(elements)
    default:
      throw RedisError(.protocolError, "the server's reply is not RESP")
    }
  }

  /// The bytes up to the next CRLF (consumed), or nil until it arrives.
  private func line(_ bytes: inout ByteBuffer) throws(RedisError) -> [UInt8]? {
    let view = bytes.readableBytesView
    guard let cr = view.firstIndex(of: 0x0D) else {
      guard view.count <= self.limits.maxLineBytes else { throw RedisError(.protocolError, "a line is too long") }
      return nil
    }
    let length = cr - view.startIndex
    guard length <= self.limits.maxLineBytes else { throw RedisError(.protocolError, "a line is too long") }
    guard bytes.readableBytes >= length + 2 else { return nil }
    let line = bytes.readBytes(length: length)!
    guard bytes.readInteger(as: UInt8.self) == 0x0D, bytes.readInteger(as: UInt8.self) == 0x0A else {
      throw RedisError(.protocolError, "a line does not end with CRLF")
    }
    return line
  }

  private static func number(_ line: [UInt8]) throws(RedisError) -> Int64 {
    guard line.count <= 20, let value = Int64(String(decoding: line, as: UTF8.self)) else {
      throw RedisError(.protocolError, "not a number where RESP wants one")
    }
    return value
  }
}
