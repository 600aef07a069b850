import Foundation
import Testing

@testable import RelayTestSupport

/// `relay-bench` is a tool, not a test of speed: this only checks that every
/// workload runs against a real relay process and reports numbers.
@Suite("relay-bench smoke run", .timeLimit(Patience.minutes(3)))
struct BenchSmokeTests {
  struct Result: Decodable {
    struct Latency: Decodable { var count: UInt64 }
    var workload: String
    var perSecond: Double
    var latencyMs: Latency?
    var notes: [String: Double]
  }

  enum Mode: String, CaseIterable, Sendable { case embedded, region }

  @Test("every workload runs (--quick) and reports its measurements", arguments: Mode.allCases)
  func quickRun(_ mode: Mode) async throws {
    let bench = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/relay-bench"
    var arguments = ["--quick", "--json"]
    if mode == .region {
      arguments += [
        "--postgres", try await TestDatabases.makePostgresDatabase(), "--redis", try TestDatabases.requireRedis(),
      ]
    }
    let run = try await runProgram(bench, arguments)
    #expect(run.status == 0, "\(run.output)")
    let json = run.output.split(separator: "\n").drop { !$0.hasPrefix("[") }.joined(separator: "\n")
    let results = try JSONDecoder().decode([Result].self, from: Data(json.utf8))
    #expect(
      results.map(\.workload) == [
        "connections", "throughput", "latency", "fanout", "catch-up", "attachments", "ceiling",
      ])
    #expect(results.allSatisfy { $0.perSecond > 0 })
    for result in results where ["throughput", "latency", "fanout", "ceiling"].contains(result.workload) {
      #expect((result.latencyMs?.count ?? 0) > 0, "\(result.workload)")
    }
    #expect((results.first?.notes["relay RSS KiB per device"] ?? 0) > 0)
    #expect(results.last?.notes["relay/ceiling %"] != nil)
    // CPU per message, of the server's process, for every message workload (ticks of 10 ms: at
    // least one tick over a run, so never exactly zero for the relay's busiest phase).
    for workload in ["throughput", "latency", "catch-up"] {
      #expect(results.first { $0.workload == workload }?.notes["server CPU µs per message"] != nil, "\(workload)")
    }
    #expect(results.first { $0.workload == "fanout" }?.notes["server CPU µs per delivery"] != nil)
    let attachments = results.first { $0.workload == "attachments" }?.notes ?? [:]
    for note in ["MiB/s down", "file copy MiB/s (write + fsync)", "file read MiB/s"] {
      #expect((attachments[note] ?? 0) > 0, "\(note)")
    }
    #expect(results.last?.notes["server CPU µs per echo"] != nil)
    #expect((results.first { $0.workload == "throughput" }?.notes["server CPU µs per message"] ?? 0) > 0)
  }
}
