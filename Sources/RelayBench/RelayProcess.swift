import Foundation
internal import RelayCore

/// A `relay serve` child process with its own temporary data directory, so
/// the benchmark measures the relay alone (its RSS included).
final class RelayProcess: Sendable {
  let process: Process
  let target: BenchTarget
  let directory: String

  /// Starts `executable` (`relay serve`, or `relay-bench echo-server`) on `port` with generous limits.
  static func start(relayExecutable: String, port: Int, extraArguments: [String] = []) async throws -> RelayProcess {
    let directory = NSTemporaryDirectory() + "relay-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let config = directory + "/relay.yaml"
    try Data(
      """
      limits: { sends_per_second: 1000000, send_burst: 1000000, max_in_flight_sends_per_stream: 1024, max_group_members: 1000 }
      connection: { idle_timeout_seconds: 600 }
      """.utf8
    ).write(to: URL(fileURLWithPath: config))
    return try await Self.launch(
      relayExecutable,
      ["serve", "--data-dir", directory, "--config", config, "--listen", "127.0.0.1:\(port)"] + extraArguments,
      directory: directory, port: port)
  }

  /// Starts the bare echo server (`relay-bench echo-server`): the transport's ceiling.
  static func startEcho(benchExecutable: String, port: Int) async throws -> RelayProcess {
    let directory = NSTemporaryDirectory() + "relay-bench-echo-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return try await Self.launch(
      benchExecutable, ["echo-server", "--dir", directory, "--port", "\(port)"], directory: directory, port: port)
  }

  private static func launch(
    _ executable: String, _ arguments: [String], directory: String, port: Int
  ) async throws
    -> RelayProcess
  {
    let process = Process()
    // RELAY_BENCH_WRAPPER (for example `valgrind --tool=massif`) runs the server under a profiler.
    let wrapper =
      ProcessInfo.processInfo.environment["RELAY_BENCH_WRAPPER"].map { $0.split(separator: " ").map(String.init) } ?? []
    process.executableURL = URL(fileURLWithPath: wrapper.isEmpty ? executable : "/usr/bin/env")
    process.arguments = wrapper.isEmpty ? arguments : wrapper + [executable] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let certificate = try await Self.waitForFile(directory + "/relay-cert.pem", process: process)
    try await waitForPort(port)
    // Under a wrapper the server is a descendant of `process`: measure and stop it by its own pid.
    let server = wrapper.isEmpty ? process.processIdentifier : ListeningProcess.pid(port: port)
    guard let server else { throw BenchError("no process listens on port \(port)") }
    return RelayProcess(
      process: process,
      target: BenchTarget(host: "127.0.0.1", port: port, certificatePEM: certificate, pid: server),
      directory: directory)
  }

  init(process: Process, target: BenchTarget, directory: String) {
    self.process = process
    self.target = target
    self.directory = directory
  }

  /// Resident memory of the server, in bytes (from /proc).
  var residentBytes: Int { residentMemory(pid: self.target.pid) }

  /// Stops the server (and its wrapper, if any) and waits for both.
  func stop() {
    let server = self.target.pid
    if server != self.process.processIdentifier { kill(server, SIGTERM) }
    if self.process.isRunning { self.process.terminate() }
    self.process.waitUntilExit()
    // A wrapper does not always wait for its child (heaptrack's script does not forward the signal).
    for _ in 0 ..< 600 where ListeningProcess.isRunning(server) { usleep(50_000) }
    try? FileManager.default.removeItem(atPath: self.directory)
  }

  static func waitForFile(_ path: String, process: Process) async throws -> String {
    for _ in 0 ..< 2400 {
      if let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("END CERTIFICATE") { return text }
      guard process.isRunning else { throw BenchError("the relay exited at startup") }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw BenchError("the relay did not start")
  }
}

/// Waits until something accepts TCP connections on the loopback port.
func waitForPort(_ port: Int) async throws {
  for _ in 0 ..< 600 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    close(fd)
    if connected == 0 { return }
    try await Task.sleep(for: .milliseconds(50))
  }
  throw BenchError("nothing listens on port \(port)")
}

/// VmRSS of a process, in bytes.
func residentMemory(pid: Int32) -> Int {
  guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
  for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
    let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kilobytes * 1024
  }
  return 0
}

/// A free loopback port (bound and released).
func freeLoopbackPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = 0
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
      bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
    }
  }
  guard bound else { throw BenchError("cannot find a free port") }
  return Int(UInt16(bigEndian: address.sin_port))
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
