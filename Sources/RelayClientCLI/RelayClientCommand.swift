import ArgumentParser
import Foundation
import RelaySDK

@main
enum Main {
  /// `relay-client --home DIR COMMAND ...`: the home option may come before
  /// the command, where ArgumentParser does not look for a subcommand's
  /// options, so it is moved behind the command's name.
  static func main() async {
    await RelayClientCommand.main(Self.homeAfterCommand(Array(CommandLine.arguments.dropFirst())))
  }

  static func homeAfterCommand(_ arguments: [String]) -> [String] {
    var arguments = arguments
    var home = [String]()
    while let first = arguments.first, first == "--home" || first.hasPrefix("--home=") {
      home += arguments.prefix(first == "--home" ? 2 : 1)
      arguments.removeFirst(min(arguments.count, first == "--home" ? 2 : 1))
    }
    guard !home.isEmpty, !arguments.isEmpty else { return home + arguments }
    let commandLength = arguments[0] == "group" && arguments.count > 1 ? 2 : 1
    arguments.insert(contentsOf: home, at: commandLength)
    return arguments
  }
}

/// `relay-client`: a person's end of Relay, from a terminal.
struct RelayClientCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "relay-client",
    abstract: "Chat end to end encrypted through a Relay relay.",
    subcommands: [
      RegisterCommand.self, LinkCommand.self, SendCommand.self, ReceiveCommand.self, ChatCommand.self,
      GroupCommand.self, DevicesCommand.self, SafetyNumberCommand.self, HistoryCommand.self, PushCommand.self,
    ]
  )
}

/// The option every command takes: where the device lives.
struct HomeOption: ParsableArguments {
  @Option(
    name: .long,
    help: "The device's directory (keys, sessions, messages). Default: $RELAY_CLIENT_HOME or ~/.relay-client.")
  var home: String?

  var path: String {
    if let home { return home }
    if let env = ProcessInfo.processInfo.environment["RELAY_CLIENT_HOME"], !env.isEmpty { return env }
    return FileManager.default.homeDirectoryForCurrentUser.path + "/.relay-client"
  }

  func withDevice<T: Sendable>(_ body: (RelayDevice) async throws -> T) async throws -> T {
    try await RelayDevice.withDevice(home: self.path, body)
  }
}

/// Writes a line to standard output at once (unbuffered even into a pipe or a
/// file, so whoever reads it sees each message as it comes).
func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Prints a one-line error to standard error and exits with status 1.
func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("relay-client: \(message)\n".utf8))
  exit(1)
}

/// Runs `body`, turning a thrown error into a one-line message and exit status 1.
func reporting(_ body: () async throws -> Void) async {
  do { try await body() } catch { fail("\(error)") }
}
