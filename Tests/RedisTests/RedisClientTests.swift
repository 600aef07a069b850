import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Redis
@testable import RelayTestSupport

/// The Redis client (RESP on SwiftNIO) against a real redis-server.
@Suite("Redis client (RESP on SwiftNIO)", .timeLimit(Patience.minutes(3)))
struct RedisClientTests {
  func withClient(
    url: String, subscriptions: [String] = [], onMessage: @escaping RedisClient.MessageHandler = { _, _ in },
    _ body: (RedisClient) async throws -> Void
  ) async throws {
    let client = RedisClient(
      configuration: try .init(url: url), subscriptions: subscriptions, logger: Logger(label: "test.redis"),
      onMessage: onMessage)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await client.run() }
      defer { group.cancelAll() }
      try await ChildProcess.waitUntil("the Redis connection") { client.isConnected }
      try await body(client)
    }
  }

  @Test("a formatted command reads back, byte for byte, fed in pieces")
  func formatAndRead() throws {
    var buffer = ByteBuffer()
    let arguments = ["SET", "key", "a\r\nb\u{0}c", ""]
    RESPCommand.write(arguments, into: &buffer)
    #expect(String(buffer: buffer).hasPrefix("*4\r\n$3\r\nSET\r\n"))
    let reader = RESPReader()
    while let byte = buffer.readSlice(length: 1) {
      #expect(try reader.next() == nil)
      try reader.feed(byte)
    }
    #expect(try reader.next() == .array(arguments.map { .string(Array($0.utf8)) }))
    try reader.feed(ByteBuffer(string: "+OK\r\n:42\r\n$-1\r\n-ERR no\r\n"))
    #expect(try reader.next() == .status("OK"))
    #expect(try reader.next() == .integer(42))
    #expect(try reader.next() == .null)
    #expect(try reader.next() == .error("ERR no"))
    try reader.feed(ByteBuffer(string: "?garbage\r\n"))
    #expect(throws: RedisError.self) { try reader.next() }
  }

  @Test("lengths a hostile server announces are refused before anything is allocated for them")
  func boundedReplies() throws {
    // hiredis's reader allocated this array's 666,666,661 elements (5 GB) on reading its header.
    for reply in [
      "*666666661\r\n", "$99999999999\r\n", "*-2\r\n", "$-5\r\n", ":12345678901234567890123\r\n",
      String(repeating: "*1\r\n", count: 9) + ":1\r\n", "$3\r\nabcXY",
    ] {
      let reader = RESPReader()
      try reader.feed(ByteBuffer(string: reply))
      #expect(throws: RedisError.self, "\(reply.debugDescription)") { try reader.next() }
    }
    // A status line with no end is refused once it is longer than any reply line.
    let reader = RESPReader()
    try reader.feed(ByteBuffer(string: "+" + String(repeating: "x", count: 70_000)))
    #expect(throws: RedisError.self) { try reader.next() }
    // Nested within the depth bound, and a null array, read fine.
    let nested = RESPReader()
    try nested.feed(ByteBuffer(string: String(repeating: "*1\r\n", count: 8) + ":1\r\n*-1\r\n"))
    var value = RedisValue.integer(1)
    for _ in 0 ..< 8 { value = .array([value]) }
    #expect(try nested.next() == value)
    #expect(try nested.next() == .null)
  }

  @Test("commands, pipelining in order, binary-safe values, error replies, pub/sub")
  func commands() async throws {
    let url = try TestDatabases.requireRedis()
    let received = Mutex<[String]>([])
    let channel = "test-\(UUID().uuidString)"
    try await self.withClient(
      url: url, subscriptions: [channel],
      onMessage: { _, payload in
        received.withLock { $0.append(String(decoding: payload, as: UTF8.self)) }
      }
    ) { redis in
      let key = "k-\(UUID().uuidString)"
      let tricky = "line\r\nbreak $3 *2 \u{0}é"
      #expect(try await redis.send(["SET", key, tricky, "EX", "3600"]) == .status("OK"))
      #expect(try await redis.send(["GET", key]).text == tricky)
      #expect(try await redis.send(["GET", key + "-missing"]) == .null)
      let counter = "c-\(UUID().uuidString)"
      let replies = try await redis.pipeline((0 ..< 500).map { _ in ["INCR", counter] })
      #expect(replies.map(\.integer) == (1 ... 500).map { Int64($0) })
      guard case .error(let message) = try await redis.send(["INCR", key]) else {
        Issue.record("INCR on a string must be an error reply")
        return
      }
      #expect(message.contains("not an integer"))
      // Many tasks at once share the one pipelined connection.
      try await withThrowingTaskGroup(of: Void.self) { group in
        for index in 0 ..< 50 {
          group.addTask {
            let echoed = try await redis.send(["ECHO", "m\(index)"])
            #expect(echoed.text == "m\(index)")
          }
        }
        try await group.waitForAll()
      }
      #expect(try await redis.send(["PUBLISH", channel, "hello"]) == .integer(1))
      try await ChildProcess.waitUntil("the published message") { received.withLock { $0 } == ["hello"] }
    }
  }

  @Test("a restarted Redis: commands fail fast while it is down, then the client reconnects and resubscribes")
  func reconnects() async throws {
    let port = try await freePort()
    var server = try await TestRedisServer(port: port)
    let received = Mutex<[String]>([])
    try await self.withClient(
      url: server.url, subscriptions: ["bell"],
      onMessage: { _, payload in
        received.withLock { $0.append(String(decoding: payload, as: UTF8.self)) }
      }
    ) { redis in
      #expect(try await redis.send(["SET", "a", "1"]) == .status("OK"))
      await server.stop()
      try await ChildProcess.waitUntil("the client to notice", seconds: 60) { !redis.isConnected }
      await #expect(throws: RedisError.self) { _ = try await redis.send(["GET", "a"]) }
      server = try await TestRedisServer(port: port)
      try await ChildProcess.waitUntil("the reconnect", seconds: 20) { redis.isConnected }
      #expect(try await redis.send(["GET", "a"]) == .null)  // a new, empty server
      #expect(try await redis.send(["PUBLISH", "bell", "again"]) == .integer(1))
      try await ChildProcess.waitUntil("the message after resubscribing") { received.withLock { $0 } == ["again"] }
    }
    await server.stop()
  }

  @Test("cut off and healed again and again: the client always ends connected, subscribed and answering")
  func flapping() async throws {
    let url = try TestDatabases.requireRedis()
    let proxy = try await TCPProxy(targetPort: try RedisClient.Configuration(url: url).port)
    let channel = "flap-\(UUID().uuidString)"
    let received = Mutex<[String]>([])
    try await self.withClient(
      url: "redis://127.0.0.1:\(proxy.port)", subscriptions: [channel],
      onMessage: { _, payload in received.withLock { $0.append(String(decoding: payload, as: UTF8.self)) } }
    ) { redis in
      for round in 0 ..< 15 {
        try await ChildProcess.waitUntil("connected before round \(round)") { redis.isConnected }
        await proxy.cut()
        // Usually well under a second; a full ThreadSanitizer phase once took 17 s here.
        try await ChildProcess.waitUntil("the cut noticed in round \(round)", seconds: 60) { !redis.isConnected }
        try await Task.sleep(for: .milliseconds(Int.random(in: 0 ... 120)))
        try await proxy.heal()
        try await ChildProcess.waitUntil("answering after round \(round)", seconds: 10) {
          (try? await redis.send(["PING"])) == .status("PONG")
        }
        let message = "round \(round)"
        try await ChildProcess.waitUntil("subscribed after round \(round)", seconds: 10) {
          _ = try await redis.send(["PUBLISH", channel, message])
          return received.withLock { $0.contains(message) }
        }
      }
    }
    await proxy.close()
  }
}
