import Foundation
import Testing

/// The attacks of Tests/Hostile/hostile.py against a real `relay serve`,
/// from Python (grpcio, and raw HTTP/2 frames with `h2`): after each, the
/// relay is alive, SERVING, a legitimate pair exchanges a message, and its
/// RSS is back within a bound. Its own test phase (scripts/test.sh), so no
/// other test's load shares the relay's machine time.
@Suite("Hostile clients", .timeLimit(.minutes(5)))
struct HostileTests {
  @Test("abandoned watches, too many streams, unfinished messages, rapid resets, a session that never reads, a huge group")
  func attacks() async throws {
    try await ServedRelay.with { relay in
      let work = makeTemporaryDirectory()
      let certPath = relay.directory + "/relay-cert.pem"
      let python = ProcessInfo.processInfo.environment["RELAY_PYTHON"] ?? "python3"
      let (status, output) = try await runProgram(
        python,
        [
          packageRoot + "/Tests/Hostile/hostile.py", "--port", "\(relay.port)", "--pid", "\(relay.pid)",
          "--relay-cert", certPath, "--work", work, "--root", packageRoot,
        ])
      print(output)
      #expect(status == 0, "\(output)")
      #expect(output.contains("HOSTILE OK"), "\(output)")
    }
  }
}
