internal import Foundation
internal import Relay
internal import RelayCore
internal import RelayStoreSQLite
internal import SwiftProtobuf
internal import Wire

/// A device's `Connect` frames (any registered certificate can send them):
/// decoded, checked by the relay's ``ClientFrameRules``, and what passes
/// applied to an embedded store as the relay would (a send committed, an
/// ack or a read mark written).
enum ClientFrameTarget {
  static let target = FuzzTarget(
    name: "client-frame", summary: "Connect client frames, through ClientFrameRules into the embedded store",
    seeds: { try Self.seeds.map { try $0.serializedBytes() } }, run: Self.run)

  static let rules = ClientFrameRules(relay: FuzzStore.domain, maxCopiesPerSend: 16, maxEnvelopeBytes: 1024)
  static let clock = HybridLogicalClock()

  static func run(_ data: Data) {
    guard let frame = try? Relay_V1_ClientFrame(serializedBytes: data) else { return }
    let fuzz = FuzzStore.shared
    guard let command = try? Self.rules.check(frame, from: fuzz.alice) else { return }
    _ = blocking {
      switch command {
      case .send(let send): _ = try await fuzz.store.commit([send], clock: Self.clock)
      case .ack(let cursor): _ = try await fuzz.store.acknowledge(device: fuzz.alice, upTo: cursor, nowMs: 2)
      case .read(let id, let seq):
        _ = try await fuzz.store.markRead(device: fuzz.alice, conversationID: id, upToSeq: seq, nowMs: 2)
      case .typing(let id, _): _ = try await fuzz.store.conversation(id: id, viewer: fuzz.alice.user)
      case .presence(let users, _):
        for user in users { _ = try await fuzz.store.sharesConversation(fuzz.alice.user, user) }
      case .heartbeat: break
      }
    }
  }

  static var seeds: [Relay_V1_ClientFrame] {
    [
      .with {
        $0.send = .with {
          $0.messageID = "0190a0b0-c0d0-7000-8000-000000000001"
          $0.conversationID = FuzzStore.conversationID
          $0.copies = [
            .with {
              $0.device = "bob@\(FuzzStore.peer)/laptop"
              $0.ciphertext = Data("sealed".utf8)
            }
          ]
        }
      },
      .with { $0.ack.cursor = 1 },
      .with {
        $0.read.conversationID = FuzzStore.conversationID
        $0.read.upToSeq = 1
      },
      .with {
        $0.typing.conversationID = FuzzStore.conversationID
        $0.typing.typing = true
      },
      .with { $0.presence.users = ["bob@\(FuzzStore.peer)"] },
      .with { $0.heartbeat.clientTimeMs = 1 },
    ]
  }
}
