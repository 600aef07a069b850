import Foundation
import Synchronization

/// A program the test starts and stops: a relay node, a redis-server, a
/// command whose output the test reads. Its output (stdout and stderr) goes
/// to a file; it is killed when the test lets go of it.
///
/// Spawned with `posix_spawn` and reaped with the test's own `waitpid`, not
/// Foundation's `Process`: on Linux a `Process` termination was seen to go
/// unnoticed now and then, leaving a test waiting forever for a child that
/// was long gone.
final class ChildProcess: Sendable {
  let pid: pid_t
  let logPath: String
  /// The exit status once reaped: the code for an exit, 128 + N for signal N.
  private let status = Mutex<Int32?>(nil)

  /// - Parameter input: a file (or FIFO) for standard input; `/dev/null` by default.
  init(
    _ executable: String, _ arguments: [String], logPath: String = makeTemporaryDirectory() + "/output.log",
    input: String = "/dev/null", environment: [String: String] = [:]
  ) throws {
    self.logPath = logPath
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    // Nothing else of the test process leaks into the child (glibc 2.34+; not in Swift's Glibc module).
    if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    var variables = ProcessInfo.processInfo.environment
    variables.merge(environment) { $1 }
    let envp = variables.map { strdup("\($0)=\($1)") } + [nil]
    defer { for pointer in envp { free(pointer) } }
    let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL) }
    self.pid = pid
  }

  private static let addCloseFrom:
    (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? =
      dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
      }

  deinit {
    if self.reap() == nil {
      kill(self.pid, SIGKILL)
      var raw: Int32 = 0
      _ = waitpid(self.pid, &raw, 0)  // SIGKILL cannot be caught: this returns at once
    }
  }

  var output: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

  /// Sends `signal` (unless it has exited already) and waits for the exit status;
  /// past `seconds` it is killed.
  @discardableResult
  func stop(_ signal: Int32 = SIGTERM, seconds: Double = 60) async -> Int32 {
    if self.reap() == nil { kill(self.pid, signal) }
    return await self.exit(seconds: seconds)
  }

  /// Waits for the program to end by itself; past `seconds` it is killed.
  func exit(seconds: Double) async -> Int32 {
    let deadline = Patience.deadline(afterSeconds: seconds)
    while true {
      if let status = self.reap() { return status }
      if ContinuousClock.now > deadline { kill(self.pid, SIGKILL) }
      try? await Task.sleep(for: .milliseconds(10))
    }
  }

  /// The exit status if the program has ended (reaping it), else nil.
  private func reap() -> Int32? {
    self.status.withLock { status in
      if let status { return status }
      var raw: Int32 = 0
      guard waitpid(self.pid, &raw, WNOHANG) == self.pid else { return nil }
      let signal = raw & 0x7f
      status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
      return status
    }
  }

  /// Waits until the program's output contains `text` (a relay prints
  /// "relay listening" once it is bound and its certificate is on disk):
  /// a port that merely answers may belong to another test's server. Fails at
  /// once if the program exits first.
  func waitForOutput(_ text: String, seconds: Double = 60) async throws {
    try await Self.waitUntil("\"\(text)\" in the program's output", seconds: seconds) {
      self.output.contains(text) || self.reap() != nil
    }
    if !self.output.contains(text), let status = self.reap() {
      throw TimedOut(what: "\"\(text)\" (the program exited with \(status)): \(self.output)")
    }
  }

  /// Runs a program (found on the PATH) to completion: its exit status and
  /// everything it printed. One that runs past `seconds` is killed.
  static func run(
    _ program: String, _ arguments: [String], seconds: Double = 600
  ) async throws -> (status: Int32, output: String) {
    let child = try ChildProcess("/usr/bin/env", [program] + arguments)
    let status = await child.exit(seconds: seconds)
    return (status, child.output)
  }

  /// Waits until `condition` holds (polling), or fails after `seconds`.
  static func waitUntil(
    _ what: String, seconds: Double = 15, _ condition: () async throws -> Bool
  ) async throws {
    let deadline = Patience.deadline(afterSeconds: seconds)
    while ContinuousClock.now < deadline {
      if (try? await condition()) == true { return }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw TimedOut(what: what)
  }
}

/// A redis-server of the test's own, on a port of its own, so the test may
/// stop and restart it.
final class TestRedisServer: Sendable {
  let port: Int
  let directory = makeTemporaryDirectory()
  private let child: ChildProcess

  var url: String { "redis://127.0.0.1:\(self.port)" }

  init(port: Int) async throws {
    self.port = port
    self.child = try ChildProcess(
      "/usr/bin/env",
      [
        "redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
        directory,
      ])
    try await self.child.waitForOutput("Ready to accept connections", seconds: 15)
  }

  func stop() async { await self.child.stop(SIGKILL) }
}

/// Runs a program to completion; its exit status and everything it printed.
func runProgram(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
  try await ChildProcess.run(executable, arguments)
}

/// The package's root folder, found from this file's path (`Tests/RelayTestSupport/`).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path
