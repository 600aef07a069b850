import ArgumentParser
import Foundation
internal import RelayCore
import Wire

/// How the load generator's devices make message ids: time-ordered (UUIDv7,
/// what the client SDK sends) by default, or random (UUIDv4) to measure what
/// a client with random ids costs the relay (docs/benchmarks.md).
enum MessageIDs: String, ExpressibleByArgument, Sendable {
  case timeOrdered = "time-ordered"
  case random

  func next() -> String {
    switch self {
    case .timeOrdered: MessageID.timeOrdered(unixMilliseconds: UInt64(Date().timeIntervalSince1970 * 1000)).text
    case .random: UUID().uuidString
    }
  }
}
