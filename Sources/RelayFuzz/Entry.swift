internal import Foundation

#if FUZZING
  /// libFuzzer's entry points: `RELAY_FUZZ_TARGET` names the target (scripts/fuzz.sh sets it).
  nonisolated(unsafe) private var selected: FuzzTarget?

  @_cdecl("LLVMFuzzerInitialize")
  func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = ProcessInfo.processInfo.environment["RELAY_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
      FileHandle.standardError.write(Data("RELAY_FUZZ_TARGET must name one of: \(FuzzTarget.all.map(\.name))\n".utf8))
      exit(2)
    }
    selected = target
    return 0
  }

  @_cdecl("LLVMFuzzerTestOneInput")
  func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    selected?.run(data)
    return 0
  }
#else
  /// Without the fuzzer: lists the targets, writes their seed corpora, or
  /// runs a target over files (a corpus, as the test suite does).
  @main
  struct RelayFuzz {
    static func main() throws {
      let arguments = Array(CommandLine.arguments.dropFirst())
      switch arguments.first {
      case "list":
        for target in FuzzTarget.all { print("\(target.name)\t\(target.summary)") }
      case "seed":
        guard arguments.count == 2 else { throw Usage() }
        for target in FuzzTarget.all {
          let directory = arguments[1] + "/" + target.name
          try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
          for (index, seed) in try target.seeds().enumerated() {
            try seed.write(to: URL(fileURLWithPath: directory + "/seed-\(index)"))
          }
        }
      case "run":
        guard arguments.count >= 3, let target = FuzzTarget.named(arguments[1]) else { throw Usage() }
        var count = 0
        for path in arguments.dropFirst(2) { count += try Self.replay(target, path) }
        print("\(target.name): \(count) inputs ran")
      default:
        throw Usage()
      }
    }

    /// Runs every file at `path` (a file or a folder); how many.
    static func replay(_ target: FuzzTarget, _ path: String) throws -> Int {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return 0 }
      guard isDirectory.boolValue else {
        target.run(try Data(contentsOf: URL(fileURLWithPath: path)))
        return 1
      }
      let files = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
      for file in files { target.run(try Data(contentsOf: URL(fileURLWithPath: path + "/" + file))) }
      return files.count
    }

    struct Usage: Error, CustomStringConvertible {
      var description: String {
        "usage: relay-fuzz list | seed DIR | run TARGET FILE_OR_DIR...  (built with scripts/fuzz.sh, it is a libFuzzer binary)"
      }
    }
  }
#endif
