internal import Foundation
internal import RelayCore

/// One decoder reachable from outside the relay (or, for the SDK, from
/// another user), driven with arbitrary bytes. Each must return normally
/// for every input: a refusal is an error it handles, never a crash.
struct FuzzTarget: Sendable {
  let name: String
  /// Who sends such bytes, for `relay-fuzz list`.
  let summary: String
  /// Valid inputs to start from (`relay-fuzz seed`).
  let seeds: @Sendable () throws -> [Data]
  let run: @Sendable (Data) -> Void

  static let all: [FuzzTarget] = [
    ClientFrameTarget.target, ReplicationTarget.target, RESPTarget.target, ConfigFileTarget.target,
    SealedEnvelopeTarget.target, CodesTarget.target, UploadChunkTarget.target, FetchedChunkTarget.target,
  ]

  static func named(_ name: String) -> FuzzTarget? { Self.all.first { $0.name == name } }
}
