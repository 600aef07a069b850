import Foundation

/// The `relay` executable built beside the test bundle.
let relayExecutable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/relay"
/// The `relay-client` executable built beside it.
let relayClientExecutable = URL(fileURLWithPath: relayExecutable).deletingLastPathComponent().path + "/relay-client"
