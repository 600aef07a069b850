import Foundation
import Synchronization
import Testing

/// `relay serve` as a child process on a free loopback port, with its data
/// directory and its log: what the plaintext search looks through.
final class ServedRelay: Sendable {
  private let current: Mutex<ChildProcess>
  private let logs: Mutex<[String]> = Mutex([])
  let port: Int
  let directory: String
  /// More `relay serve` arguments (a `--config` file).
  let arguments: [String]
  /// More environment variables (`RELAY_CLOCK_SKEW_MS`).
  let environment: [String: String]

  var server: String { "127.0.0.1:\(self.port)" }
  /// The running relay's process id.
  var pid: pid_t { self.current.withLock { $0 }.pid }
  /// Everything every run of the relay logged.
  var log: String { (self.logs.withLock { $0 } + [self.current.withLock { $0 }.output]).joined() }

  init(
    process: ChildProcess, port: Int, directory: String, arguments: [String] = [], environment: [String: String] = [:]
  ) {
    self.environment = environment
    self.current = Mutex(process)
    self.port = port
    self.directory = directory
    self.arguments = arguments
  }

  static func start(
    directory: String, port: Int, arguments: [String] = [], environment: [String: String] = [:]
  ) async throws -> ChildProcess {
    let process = try ChildProcess(
      relayExecutable, ["serve", "--data-dir", directory, "--listen", "127.0.0.1:\(port)"] + arguments,
      environment: environment)
    try await process.waitForOutput("relay listening")
    return process
  }

  /// A relay with `config` (YAML) as its config file, if given.
  static func with<T: Sendable>(config: String? = nil, _ body: (ServedRelay) async throws -> T) async throws -> T {
    let directory = makeTemporaryDirectory() + "/data"
    let port = try await freePort()
    var arguments = [String]()
    if let config {
      let path = makeTemporaryDirectory() + "/relay.yaml"
      try config.write(toFile: path, atomically: true, encoding: .utf8)
      arguments = ["--config", path]
    }
    let relay = ServedRelay(
      process: try await Self.start(directory: directory, port: port, arguments: arguments), port: port,
      directory: directory, arguments: arguments)
    do {
      let result = try await body(relay)
      #expect(await relay.current.withLock { $0 }.stop(SIGTERM) == 0)
      return result
    } catch {
      _ = await relay.current.withLock { $0 }.stop(SIGKILL)
      throw error
    }
  }

  /// Stops the relay (SIGTERM), waits `downtime`, and starts it again on the same port and data.
  func restart(downtime: Duration) async throws {
    await self.pause()
    try await Task.sleep(for: downtime)
    try await self.startAgain()
  }

  /// Stops the relay (SIGTERM) until ``startAgain()``.
  func pause() async {
    let old = self.current.withLock { $0 }
    #expect(await old.stop(SIGTERM) == 0)
    self.logs.withLock { $0.append(old.output) }
  }

  /// Starts the relay again on the same port and data, after ``pause()``.
  func startAgain() async throws {
    let new = try await Self.start(
      directory: self.directory, port: self.port, arguments: self.arguments, environment: self.environment)
    self.current.withLock { $0 = new }
  }

  /// Stops the relay for good (SIGTERM); its exit status.
  func stop() async -> Int32 { await self.current.withLock { $0 }.stop(SIGTERM) }

  /// Sends SIGHUP: the relay reads its config file again (its federation peers).
  func hangUp() { _ = Glibc.kill(self.current.withLock { $0 }.pid, SIGHUP) }

  /// Kills the relay (SIGKILL), then starts it again on the same port and data.
  func killAndStartAgain() async throws {
    let old = self.current.withLock { $0 }
    _ = await old.stop(SIGKILL)
    self.logs.withLock { $0.append(old.output) }
    try await self.startAgain()
  }

  /// Kills the relay (SIGKILL) if it is still running.
  func kill() async { _ = await self.current.withLock { $0 }.stop(SIGKILL) }

  /// Every file under the data directory whose bytes contain `needle`, and "log" if the log does.
  func filesContaining(_ needle: String) throws -> [String] {
    let bytes = Data(needle.utf8)
    var found = [String]()
    let files = FileManager.default.enumerator(atPath: self.directory)?.compactMap { $0 as? String } ?? []
    #expect(files.contains("relay.sqlite"), "the search covers the relay's database")
    for file in files {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: self.directory + "/" + file, isDirectory: &isFolder),
        !isFolder.boolValue
      else { continue }
      let data = try Data(contentsOf: URL(fileURLWithPath: self.directory + "/" + file))
      if data.range(of: bytes) != nil { found.append(file) }
    }
    if self.log.contains(needle) { found.append("log") }
    return found
  }
}
