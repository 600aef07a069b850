import Foundation
internal import RelayCore

/// One workload's result.
struct WorkloadResult: Codable, Sendable {
  var workload: String
  var parameters: String
  /// Messages (or echoes) per second; 0 where it does not apply.
  var perSecond: Double
  var latencyMs: Latency?
  /// Extra measurements (bytes per connection, connect time, ...).
  var notes: [String: Double] = [:]
}

enum Report {
  static func table(_ results: [WorkloadResult]) -> String {
    func row(_ cells: [String]) -> String {
      zip(cells, [12, 40, 12, 9, 9, 9]).enumerated().map { index, pair in
        let (cell, width) = pair
        let padding = String(repeating: " ", count: max(0, width - cell.count))
        return index < 2 ? cell + padding : padding + cell
      }.joined(separator: " ")
    }
    var lines = [row(["workload", "parameters", "per second", "p50 ms", "p99 ms", "p99.9 ms"])]
    for result in results {
      let latency = result.latencyMs
      lines.append(
        row([
          result.workload, result.parameters, String(format: "%.0f", result.perSecond), Self.ms(latency?.p50),
          Self.ms(latency?.p99), Self.ms(latency?.p999),
        ]))
      for (key, value) in result.notes.sorted(by: { $0.key < $1.key }) {
        lines.append(String(repeating: " ", count: 13) + "\(key): " + String(format: "%.1f", value))
      }
    }
    return lines.joined(separator: "\n")
  }

  static func json(_ results: [WorkloadResult]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: (try? encoder.encode(results)) ?? Data(), as: UTF8.self)
  }

  private static func ms(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
}

/// Progress on stderr, so `--json` output stays clean.
func progress(_ text: String) {
  FileHandle.standardError.write(Data("relay-bench: \(text)\n".utf8))
}
