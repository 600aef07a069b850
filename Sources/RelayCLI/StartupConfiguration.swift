import Foundation
import Logging
import Relay
internal import RelayCore
internal import RelayStorePostgres
internal import RelayStoreSQLite

/// Defaults, then the config file, then command-line flags.
enum StartupConfiguration {
  static func resolve(
    common: CommonOptions, flags: (inout RelayConfiguration) throws(RelayError) -> Void
  ) throws(RelayError) -> RelayConfiguration {
    var configuration = RelayConfiguration.defaults
    if let path = common.config { try configuration.apply(configFile: path) }
    if let dir = common.dataDir { configuration.dataDirectory = dir }
    if let url = common.postgres { configuration.region.postgresURL = url }
    if let url = common.redis { configuration.region.redisURL = url }
    if let id = common.nodeID { configuration.region.nodeID = id }
    try flags(&configuration)
    try Self.checkDataDirectory(configuration.dataDirectory)
    return configuration
  }

  private static func checkDataDirectory(_ path: String) throws(RelayError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw RelayError(.invalidArgument, "data directory \(path) is not a directory")
      }
      guard FileManager.default.isWritableFile(atPath: path), FileManager.default.isReadableFile(atPath: path) else {
        throw RelayError(.invalidArgument, "data directory \(path) is not readable and writable")
      }
    }
  }
}

extension RelayConfiguration {
  /// The store this configuration names, for the administrative commands:
  /// PostgreSQL (run while `body` runs) for a region, else the SQLite file.
  func withStore(_ body: (any RelayStore) async throws -> Void) async throws {
    guard let url = self.region.postgresURL else {
      try await body(try SQLiteStore(directory: self.dataDirectory))
      return
    }
    var logger = Logger(label: "relay")
    logger.logLevel = .error
    let store = try PostgresStore(url: url, poolSize: 2, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await store.run() }
      defer { group.cancelAll() }
      try await body(store)
    }
  }
}

/// Startup errors are one clear line on stderr and exit code 1.
enum StartupFailure {
  static func exit(_ error: any Error) -> Never {
    let text = (error as? RelayError)?.message ?? "\(error)"
    let line: String
    if text.contains("Address already in use") {
      line = "cannot listen: the address is already in use"
    } else if text.contains("bind(") {
      line = "cannot listen on that address"
    } else {
      line = text.split(separator: "\n").first.map(String.init) ?? "failed"
    }
    FileHandle.standardError.write(Data("relay: \(line)\n".utf8))
    Foundation.exit(1)
  }
}
