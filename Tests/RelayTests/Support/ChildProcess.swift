import Foundation

/// A program the test starts and stops: a relay node, a redis-server. Its
/// output is kept in a file for the test to read; it is killed when the
/// test lets go of it.
final class ChildProcess: @unchecked Sendable {
  let process = Process()
  let logPath: String
  private let exited = AsyncStream<Int32>.makeStream()

  init(_ executable: String, _ arguments: [String], logPath: String = makeTemporaryDirectory() + "/output.log") throws {
    self.logPath = logPath
    FileManager.default.createFile(atPath: logPath, contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    self.process.executableURL = URL(fileURLWithPath: executable)
    self.process.arguments = arguments
    self.process.standardOutput = log
    self.process.standardError = log
    let continuation = self.exited.continuation
    self.process.terminationHandler = { continuation.yield($0.terminationStatus) }
    try self.process.run()
  }

  deinit {
    if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
  }

  var output: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

  /// Sends `signal` and waits for the exit status.
  @discardableResult
  func stop(_ signal: Int32 = SIGTERM) async -> Int32 {
    if self.process.isRunning { kill(self.process.processIdentifier, signal) }
    for await status in self.exited.stream { return status }
    return -1
  }

  /// Waits until `condition` holds (polling), or fails after `seconds`.
  static func waitUntil(
    _ what: String, seconds: Double = 15, _ condition: () async throws -> Bool
  ) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
      if (try? await condition()) == true { return }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw TestTimeout(what: what)
  }
}

struct TestTimeout: Error, CustomStringConvertible {
  var what: String
  var description: String { "timed out waiting for \(self.what)" }
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
    try await ChildProcess.waitUntil("redis-server on \(port)") {
      try await freePortIsTaken(port)
    }
  }

  func stop() async { await self.child.stop(SIGKILL) }
}

/// True when something listens on the loopback port.
func freePortIsTaken(_ port: Int) async throws -> Bool {
  let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(socket) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = in_port_t(UInt16(port).bigEndian)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  let result = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
    }
  }
  return result == 0
}
