internal import Foundation
internal import RelayCore

#if FUZZING
internal import CFuzzer
#endif

#if FUZZING
/// libFuzzer's driver, run from the executable's entry point (SwiftPM names
/// it `RelayFuzz_main`; the linker makes it `main`). `RELAY_FUZZ_TARGET`
/// names the target (scripts/fuzz.sh sets it); the arguments are libFuzzer's.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("RelayFuzz_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  let name = ProcessInfo.processInfo.environment["RELAY_FUZZ_TARGET"] ?? ""
  guard let target = FuzzTarget.named(name) else {
    FileHandle.standardError.write(Data("RELAY_FUZZ_TARGET must name one of: \(FuzzTarget.all.map(\.name))\n".utf8))
    return 2
  }
  selected = target
  var count = argc
  var arguments = argv
  return LLVMFuzzerRunDriver(&count, &arguments) { bytes, size in fuzzerTestOneInput(bytes, size) }
}

/// One input (libFuzzer's runtime references the symbol too).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
  let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
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
