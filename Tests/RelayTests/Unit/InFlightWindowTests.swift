import Synchronization
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("A stream's window of sends in flight")
struct InFlightWindowTests {
  @Test("takes up to the limit, waits for a release beyond it, drains to empty, and ends a wait on cancellation")
  func limitReleaseDrainCancel() async throws {
    let window = InFlightWindow(limit: 2)
    try await window.acquire()
    try await window.acquire()
    let third = Flag()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await window.acquire()
        third.set()
      }
      try await Task.sleep(for: .milliseconds(50))
      #expect(!third.isSet)  // two in flight: the third waits
      window.release()
      try await group.next()
      #expect(third.isSet)
    }
    let drained = Flag()
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await window.drain()
        drained.set()
      }
      window.release()
      try await Task.sleep(for: .milliseconds(50))
      #expect(!drained.isSet)  // one still in flight
      window.release()
      try await group.next()
      #expect(drained.isSet)
    }
    try await window.acquire()
    try await window.acquire()
    let waiting = Task { try await window.acquire() }
    try await Task.sleep(for: .milliseconds(20))
    waiting.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
  }
}

/// A flag one task sets and another reads.
private final class Flag: Sendable {
  private let value = Mutex(false)
  func set() { self.value.withLock { $0 = true } }
  var isSet: Bool { self.value.withLock { $0 } }
}
