import Foundation
import Testing

@testable import RelayTestSupport

/// Every input the fuzzers keep (the seed corpora in Tests/Fuzz/corpus, and
/// any crash found and fixed, added there) runs through its target on every
/// test run: a fixed crash stays fixed.
@Suite("Fuzz corpora replayed", .timeLimit(Patience.minutes(3)))
struct FuzzCorpusTests {
  static let fuzz = URL(fileURLWithPath: relayExecutable).deletingLastPathComponent().path + "/relay-fuzz"

  @Test(
    "each target runs its corpus without a crash",
    arguments: [
      "client-frame", "replication-batch", "resp", "config", "sealed-envelope", "codes", "upload-chunk",
      "fetched-chunk",
    ])
  func corpus(target: String) async throws {
    let corpus = packageRoot + "/Tests/Fuzz/corpus/" + target
    let files = try FileManager.default.contentsOfDirectory(atPath: corpus)
    #expect(!files.isEmpty, "\(target) has a seed corpus")
    let (status, output) = try await runProgram(Self.fuzz, ["run", target, corpus])
    #expect(status == 0, "\(output)")
    #expect(output.contains("\(target): \(files.count) inputs ran"), "\(output)")
  }
}
