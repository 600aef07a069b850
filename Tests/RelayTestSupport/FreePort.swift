import NIOCore
import NIOPosix
import Synchronization

/// A loopback port no one listens on, for a child process to listen on.
///
/// Chosen below the kernel's ephemeral range (32768 and up here): a port the
/// kernel handed out with `bind(0)` is also what it hands out as the source
/// port of outgoing connections, so between this test closing it and the
/// child binding it, another test's connection could take it ("address
/// already in use"). Below the range only another `freePort` competes, and
/// the ports are drawn at random, checked bindable and never handed out
/// twice by this process.
func freePort() async throws -> Int {
  for _ in 0 ..< 200 {
    let port = Int.random(in: 20_000 ..< 32_000)
    guard handedPorts.withLock({ $0.insert(port).inserted }) else { continue }
    guard
      let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: port).get()
    else { continue }
    try await channel.close()
    return port
  }
  throw TimedOut(what: "a free port below the ephemeral range")
}

private let handedPorts = Mutex<Set<Int>>([])
