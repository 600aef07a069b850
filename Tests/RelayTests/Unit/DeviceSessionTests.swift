import Foundation
import GRPCCore
import SwiftProtobuf
import Synchronization
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

/// Collects what a session writes.
final class CollectingWriter: RPCWriterProtocol, Sendable {
  private let frames = Mutex<(all: [Relay_V1_ServerFrame], writes: [Int])>(([], []))

  func write(_ element: Relay_V1_ServerFrame) async throws {
    self.frames.withLock {
      $0.all.append(element)
      $0.writes.append(1)
    }
  }
  func write(contentsOf elements: some Sequence<Relay_V1_ServerFrame>) async throws {
    self.frames.withLock {
      let before = $0.all.count
      $0.all.append(contentsOf: elements)
      $0.writes.append($0.all.count - before)
    }
  }

  var written: [Relay_V1_ServerFrame] { self.frames.withLock { $0.all } }
  /// How many frames each write call carried.
  var writes: [Int] { self.frames.withLock { $0.writes } }

  /// Every cursor written, sync batches flattened, in order.
  var cursors: [UInt64] {
    self.written.flatMap { frame -> [UInt64] in
      switch frame.frame {
      case .sync(let batch): batch.entries.map(\.cursor)
      case .envelope(let envelope): [envelope.cursor]
      case .receipt(let receipt): [receipt.cursor]
      default: []
      }
    }
  }
}

@Suite("A device session's writer")
struct DeviceSessionTests {
  @Test("handed-over entries that follow each other go out in one write, up to a gap")
  func handedEntriesInOneWrite() async throws {
    let entries = [5, 3, 4, 7].map { cursor in
      Relay_V1_MailboxEntry.with { $0.envelope.cursor = UInt64(cursor) }
    }
    let writer = CollectingWriter()
    var position = WriterPosition(sent: 2, caughtUp: true)
    let gap = try await DeviceSession.writeHanded(
      entries, to: RPCWriter(wrapping: writer), position: &position, metrics: nil)
    #expect(gap, "7 does not follow 5")
    #expect(writer.cursors == [3, 4, 5] && writer.writes == [3])
    #expect(position.sent == 5)
  }

  @Test("handed-over entries are written in cursor order, once; a gap is filled from the mailbox")
  func handedEntriesAndGaps() async throws {
    let fixture = StoreFixture(store: try SQLiteStore(directory: makeTemporaryDirectory()))
    let alice = try await fixture.register("alice@localhost/phone")
    let bob = try await fixture.register("bob@localhost/phone")
    let chat = try await fixture.conversation(.direct, creator: "alice@localhost", others: ["bob@localhost"])
    func commit(_ count: Int) async throws -> [Doorbell] {
      let sends = (0 ..< count).map { _ in fixture.send(alice, chat.id, to: [bob]) }
      return try await fixture.store.commit(sends, clock: fixture.clock).flatMap { try $0.get().doorbells }
    }
    _ = try await commit(3)  // waiting in the mailbox before the session starts

    let session = DeviceSession(device: bob, maxHanded: 4)
    let writer = CollectingWriter()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await session.runWriter(to: RPCWriter(wrapping: writer), store: fixture.store, from: 0, pageSize: 10)
      }
      try await ChildProcess.waitUntil("cursors 1 to 3", seconds: 30) { writer.cursors == [1, 2, 3] }

      let bells = try await commit(3)  // cursors 4, 5, 6
      session.ring(with: bells[0].entry!)  // 4: next in line, written from memory
      session.ring(with: bells[2].entry!)  // 6: a gap (5 was "lost"), so the mailbox is read
      try await ChildProcess.waitUntil("six cursors", seconds: 30) { writer.cursors.count == 6 }
      session.ring(with: bells[2].entry!)  // already written: ignored
      let more = try await commit(6)  // 7...12, more than maxHanded: falls back to the mailbox
      for bell in more { session.ring(with: bell.entry!) }
      try await ChildProcess.waitUntil("twelve cursors", seconds: 30) { writer.cursors.count == 12 }
      session.finish()
      try await group.waitForAll()
    }
    #expect(writer.cursors == Array(1 ... 12))
    // The first write is the sync batch, caught up; the rest are live frames.
    if case .sync(let batch) = writer.written.first?.frame {
      #expect(batch.caughtUp)
    } else {
      Issue.record("no sync batch")
    }
  }
}

@Suite("A device session's writer, stopped")
struct DeviceSessionStopTests {
  @Test("abandon ends the writer at once, without writing what is queued; close ends it with the error")
  func abandonAndClose() async throws {
    let fixture = StoreFixture(store: try SQLiteStore(directory: makeTemporaryDirectory()))
    let bob = try await fixture.register("bob@localhost/phone")
    for ending in ["abandon", "close"] {
      let session = DeviceSession(device: bob)
      let writer = CollectingWriter()
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          try await session.runWriter(to: RPCWriter(wrapping: writer), store: fixture.store, from: 0, pageSize: 10)
        }
        // The (empty) caught-up sync batch.
        try await ChildProcess.waitUntil("one frame", seconds: 30) { writer.written.count == 1 }
        var heartbeat = Relay_V1_ServerFrame()
        heartbeat.heartbeat.serverTimeMs = 1
        if ending == "abandon" {
          session.abandon()
          session.push(heartbeat)
          try await group.next()
        } else {
          session.close(RelayError(.aborted, "replaced"))
          session.push(heartbeat)
          await #expect(throws: RelayError.self) { try await group.next() }
        }
      }
      #expect(writer.written.count == 1, "\(ending)")
    }
  }
}
