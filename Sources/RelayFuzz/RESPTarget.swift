internal import Foundation
internal import NIOCore
internal import Redis
internal import RelayCore

/// Bytes from Redis (or from whatever answers on its address): fed to the
/// RESP reader in two pieces, every complete reply taken out.
enum RESPTarget {
  static let target = FuzzTarget(
    name: "resp", summary: "Redis replies, through the RESP reader", seeds: { Self.seeds }, run: Self.run)

  static func run(_ data: Data) {
    let reader = RESPReader()
    let middle = data.count / 2
    for part in [data.prefix(middle), data.dropFirst(middle)] {
      do {
        try reader.feed(ByteBuffer(bytes: part))
        while try reader.next() != nil {}
      } catch {
        return
      }
    }
  }

  static var seeds: [Data] {
    [
      "+OK\r\n", "-ERR unknown\r\n", ":42\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*2\r\n$7\r\nmessage\r\n:1\r\n",
      "*3\r\n$9\r\nsubscribe\r\n$10\r\ndoorbell:n\r\n:1\r\n",
    ].map { Data($0.utf8) }
  }
}
