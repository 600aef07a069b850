import Foundation
import GRDB
import Testing

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("The embedded store checkpoints off the commit path")
struct SQLiteCheckpointTests {
  private func databaseBytes(_ directory: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/relay.sqlite")
    return (attributes[.size] as? Int) ?? 0
  }

  @Test("commits stay in the WAL (no checkpoint in a commit); one passive checkpoint moves them all")
  func passiveCheckpointOnItsOwnConnection() async throws {
    let directory = makeTemporaryDirectory()
    let store = try SQLiteStore(directory: directory)
    let fixture = StoreFixture(store: store)
    for index in 0 ..< 50 { _ = try await fixture.register("user\(index)@localhost/phone") }
    let connection = try store.checkpointConnection()
    let (walFrames, checkpointed) = try await store.checkpoint(on: connection)
    #expect(walFrames > 0)
    #expect(checkpointed == walFrames)
  }

  @Test("run() checkpoints every interval until cancelled")
  func backgroundCheckpoints() async throws {
    let directory = makeTemporaryDirectory()
    let store = try SQLiteStore(directory: directory, checkpointInterval: .milliseconds(20))
    let fixture = StoreFixture(store: store)
    for index in 0 ..< 200 { _ = try await fixture.register("user\(index)@localhost/phone") }
    let before = try self.databaseBytes(directory)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await store.run() }
      // The registrations reach the database file itself, not only the WAL.
      try await ChildProcess.waitUntil("the checkpoint to grow the database", seconds: 5) {
        ((try? self.databaseBytes(directory)) ?? 0) > before + 100_000
      }
      group.cancelAll()
      try await group.waitForAll()
    }
  }
}
