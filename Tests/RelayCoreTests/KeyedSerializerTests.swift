import Synchronization
import Testing

@testable import RelayCore

@Suite("Keyed serializer: one fetch per attachment at a time")
struct KeyedSerializerTests {
  /// A body that holds its key until the test opens it.
  final class Latch: Sendable {
    let entered = AsyncStream.makeStream(of: Void.self)
    let opened = AsyncStream.makeStream(of: Void.self)

    func hold() async {
      self.entered.continuation.yield()
      for await _ in self.opened.stream { return }
    }

    func waitEntered() async { for await _ in self.entered.stream { return } }
    func open() { self.opened.continuation.yield() }
  }

  final class Log: Sendable {
    let lines = Mutex([String]())
    func append(_ line: String) { self.lines.withLock { $0.append(line) } }
    var all: [String] { self.lines.withLock { $0 } }
  }

  @Test("work for one key waits for the work before it; work for another key runs beside it")
  func oneAtATimePerKey() async throws {
    let serializer = KeyedSerializer<String>()
    let log = Log()
    let latch = Latch()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await serializer.serially("a") {
          log.append("a1 in")
          await latch.hold()
          log.append("a1 out")
        }
      }
      await latch.waitEntered()
      group.addTask { try await serializer.serially("a") { log.append("a2") } }
      // "b" is not held up by "a".
      try await serializer.serially("b") { log.append("b") }
      #expect(serializer.busyKeys == 1)
      #expect(!log.all.contains("a2"))
      latch.open()
      try await group.waitForAll()
    }
    #expect(log.all == ["a1 in", "b", "a1 out", "a2"])
    #expect(serializer.busyKeys == 0)
  }

  @Test("a waiter whose task is cancelled leaves the queue at once, and the key is free after")
  func cancelledWaiter() async throws {
    let serializer = KeyedSerializer<String>()
    let latch = Latch()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await serializer.serially("a") { await latch.hold() } }
      await latch.waitEntered()
      let waiter = Task { try await serializer.serially("a") { "ran" } }
      waiter.cancel()
      // It ends while the key is still held.
      await #expect(throws: CancellationError.self) { _ = try await waiter.value }
      latch.open()
      try await group.waitForAll()
    }
    #expect(try await serializer.serially("a") { "free" } == "free")
    #expect(serializer.busyKeys == 0)
  }

  @Test("a body that throws frees its key for the next")
  func throwingBody() async throws {
    struct Failure: Error {}
    let serializer = KeyedSerializer<Int>()
    await #expect(throws: Failure.self) { try await serializer.serially(1) { throw Failure() } }
    #expect(try await serializer.serially(1) { 2 } == 2)
  }
}
