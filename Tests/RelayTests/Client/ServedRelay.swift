import Foundation
import Testing

/// `relay serve` as a child process on a free loopback port, with its data
/// directory and its log: what the plaintext search looks through.
struct ServedRelay: Sendable {
  let process: ChildProcess
  let port: Int
  let directory: String

  var server: String { "127.0.0.1:\(self.port)" }
  var log: String { self.process.output }

  static func with<T: Sendable>(_ body: (ServedRelay) async throws -> T) async throws -> T {
    let directory = makeTemporaryDirectory()
    let port = try await freePort()
    let process = try ChildProcess(
      relayExecutable, ["serve", "--data-dir", directory + "/data", "--listen", "127.0.0.1:\(port)"])
    let relay = ServedRelay(process: process, port: port, directory: directory + "/data")
    do {
      try await ChildProcess.waitUntil("relay serve listening", seconds: 30) { try await freePortIsTaken(port) }
      let result = try await body(relay)
      #expect(await process.stop(SIGTERM) == 0)
      return result
    } catch {
      _ = await process.stop(SIGKILL)
      throw error
    }
  }

  /// Every file under the data directory whose bytes contain `needle`, and "log" if the log does.
  func filesContaining(_ needle: String) throws -> [String] {
    let bytes = Data(needle.utf8)
    var found = [String]()
    let files = FileManager.default.enumerator(atPath: self.directory)?.compactMap { $0 as? String } ?? []
    #expect(files.contains("relay.sqlite"), "the search covers the relay's database")
    for file in files {
      let data = try Data(contentsOf: URL(fileURLWithPath: self.directory + "/" + file))
      if data.range(of: bytes) != nil { found.append(file) }
    }
    if self.log.contains(needle) { found.append("log") }
    return found
  }
}
