import ArgumentParser
import Foundation
internal import RelayCore

/// `relay-bench`: drives a relay the way devices do and reports throughput,
/// latency, memory per connection and drain rate, against the transport's
/// own ceiling measured in the same run.
@main
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "relay-bench", abstract: "Load generator and benchmarks for Relay.",
    subcommands: [RunCommand.self, EchoServerCommand.self], defaultSubcommand: RunCommand.self)
}

struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the workloads (default).")

  @Option(help: "The relay executable (default: `relay` beside this one).") var relay: String?
  @Option(help: "Comma-separated: connections,throughput,latency,fanout,catchup,attachments,ceiling.")
  var workloads = "connections,throughput,latency,fanout,catchup,attachments,ceiling"
  @Option(help: "Sender/receiver pairs (throughput, latency) and echo streams (ceiling).") var pairs = 8
  @Option(help: "Messages per pair (throughput, ceiling).") var messages = 5000
  @Option(help: "Ciphertext bytes per message.") var size = 256
  @Option(help: "Total messages per second (latency).") var rate = 5000.0
  @Option(help: "Seconds at that rate (latency).") var seconds = 5.0
  @Option(help: "Messages queued for the offline device (catchup).") var catchUp = 20000
  @Option(help: "Idle connected devices (connections).") var devices = 2000
  @Option(help: "MiB of the attachment uploaded and downloaded (attachments).") var attachmentMib = 64
  @Option(help: "Group sizes (fanout), comma-separated.") var groups = "50,500"
  @Option(help: "Messages sent to each group (fanout).") var groupMessages = 100
  @Option(
    name: .customLong("message-ids"), help: "Message ids: time-ordered (UUIDv7, as the SDK sends) or random (UUIDv4).")
  var messageIDs = MessageIDs.timeOrdered
  @Option(
    help: "When devices ack: batched (every 100th envelope, receipts never) or sdk (everything, at once, as RelaySDK).")
  var acks = AckPolicy.batched
  @Flag(help: "Tiny sizes: a smoke run of every workload in seconds.") var quick = false
  @Flag(help: "Print the results as JSON on stdout.") var json = false
  @Option(help: "Run the relay as a region node on this PostgreSQL (an empty database).") var postgres: String?
  @Option(help: "With --postgres: the region's Redis.") var redis: String?

  /// The server's CPU time (user + system, all threads) over the measured phase, per message.
  static let cpuNote = "server CPU µs per message"
  /// Said in a workload's parameters when its devices ack as the SDK does.
  var ackNote: String { self.acks == .sdk ? ", SDK acks" : "" }

  mutating func run() async throws {
    if self.quick {
      (self.pairs, self.messages, self.rate, self.seconds, self.catchUp, self.devices) = (2, 200, 200, 1, 500, 20)
      (self.groups, self.groupMessages, self.attachmentMib) = ("5", 20, 2)
    }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    let relayPath = self.relay ?? here + "/relay"
    let selected = Set(self.workloads.split(separator: ",").map(String.init))
    var results = [WorkloadResult]()

    var region = [String]()
    if let url = self.postgres { region += ["--postgres", url, "--node-id", "bench"] }
    if let url = self.redis { region += ["--redis", url] }
    // Names unique to this run, so a reused region database never sees them twice.
    let runID = String(UInt32.random(in: 0 ... .max), radix: 36)
    let relay = try await RelayProcess.start(
      relayExecutable: relayPath, port: try freeLoopbackPort(), extraArguments: region)
    defer { relay.stop() }
    progress(
      "relay started as \(self.postgres == nil ? "the embedded default" : "a region node") (pid \(relay.process.processIdentifier), port \(relay.target.port))"
    )
    if selected.contains("connections") {
      progress("connections: \(self.devices) idle devices")
      let (perDevice, connectSeconds) = try await ConnectionsWorkload(devices: self.devices).run(
        relay, tag: "c\(runID)")
      results.append(
        WorkloadResult(
          workload: "connections", parameters: "\(self.devices) idle devices",
          perSecond: Double(self.devices) / connectSeconds,
          notes: ["relay RSS KiB per device": perDevice / 1024, "seconds to connect all": connectSeconds]))
      progress("connections: the transport's floor, \(self.devices) idle echo streams")
      let echo = try await RelayProcess.startEcho(
        benchExecutable: CommandLine.arguments[0], port: try freeLoopbackPort())
      defer { echo.stop() }
      let floor = try await EchoIdleWorkload(connections: self.devices).run(echo)
      results[results.count - 1].notes["echo server RSS KiB per connection (floor)"] = floor / 1024
    }
    if selected.contains("throughput") {
      progress("throughput: \(self.pairs) pairs x \(self.messages) messages of \(self.size) B")
      let run = PairWorkload(
        pairs: self.pairs, messagesPerPair: self.messages, size: self.size, pace: .window(64), ids: self.messageIDs,
        acks: self.acks)
      let (perSecond, latency, cpu) = try await run.run(relay.target, tag: "t\(runID)")
      results.append(
        WorkloadResult(
          workload: "throughput", parameters: "\(self.pairs) pairs, \(self.size) B, window 64\(self.ackNote)",
          perSecond: perSecond,
          latencyMs: latency, notes: [Self.cpuNote: cpu]))
    }
    if selected.contains("latency") {
      let count = Int(self.rate * self.seconds) / self.pairs
      progress("latency: \(Int(self.rate)) msg/s for \(self.seconds) s")
      let run = PairWorkload(
        pairs: self.pairs, messagesPerPair: count, size: self.size, pace: .rate(perSecond: self.rate),
        ids: self.messageIDs, acks: self.acks)
      let (perSecond, latency, cpu) = try await run.run(relay.target, tag: "l\(runID)")
      results.append(
        WorkloadResult(
          workload: "latency", parameters: "\(Int(self.rate)) msg/s fixed, \(self.pairs) pairs\(self.ackNote)",
          perSecond: perSecond,
          latencyMs: latency, notes: [Self.cpuNote: cpu]))
    }
    if selected.contains("fanout") {
      for members in self.groups.split(separator: ",").compactMap({ Int($0) }) {
        progress("fanout: a group of \(members), \(self.groupMessages) messages")
        let run = FanOutWorkload(
          members: members, messages: self.groupMessages, size: self.size, ids: self.messageIDs,
          acks: self.acks)
        let (perSecond, latency, cpu) = try await run.run(relay.target, tag: "f\(members)\(runID)")
        results.append(
          WorkloadResult(
            workload: "fanout", parameters: "group of \(members), deliveries\(self.ackNote)", perSecond: perSecond,
            latencyMs: latency,
            notes: ["server CPU µs per delivery": cpu]))
      }
    }
    if selected.contains("catchup") {
      let (perSecond, cpu) = try await CatchUpWorkload(messages: self.catchUp, size: self.size, ids: self.messageIDs)
        .run(relay.target, tag: "u\(runID)")
      results.append(
        WorkloadResult(
          workload: "catch-up", parameters: "\(self.catchUp) queued", perSecond: perSecond, notes: [Self.cpuNote: cpu]))
    }
    if selected.contains("attachments") {
      progress("attachments: \(self.attachmentMib) MiB up and down in 1 MiB chunks")
      let run = try await AttachmentWorkload(mebibytes: self.attachmentMib).run(relay.target, tag: "a\(runID)")
      results.append(
        WorkloadResult(
          workload: "attachments", parameters: "\(self.attachmentMib) MiB, 1 MiB chunks, MiB/s up",
          perSecond: run.upMiBPerSecond,
          notes: [
            "MiB/s down": run.downMiBPerSecond, "server CPU µs per MiB up": run.cpuMicrosPerMiBUp,
            "file copy MiB/s (write + fsync)": run.fileWriteMiBPerSecond, "file read MiB/s": run.fileReadMiBPerSecond,
          ]))
    }
    if selected.contains("ceiling") {
      progress("ceiling: bare echo, \(self.pairs) streams x \(self.messages)")
      let echo = try await RelayProcess.startEcho(
        benchExecutable: CommandLine.arguments[0], port: try freeLoopbackPort())
      defer { echo.stop() }
      let run = EchoWorkload(streams: self.pairs, messagesPerStream: self.messages, size: self.size, window: 64)
      let (perSecond, latency, cpu) = try await run.run(echo.target)
      var result = WorkloadResult(
        workload: "ceiling", parameters: "echo, \(self.pairs) streams, \(self.size) B", perSecond: perSecond,
        latencyMs: latency, notes: ["server CPU µs per echo": cpu])
      if let throughput = results.first(where: { $0.workload == "throughput" }) {
        result.notes["relay/ceiling %"] = 100 * throughput.perSecond / perSecond
        // CPU per message: the relay's per persisted delivery over the echo server's per echo.
        if let relayCPU = throughput.notes[Self.cpuNote], cpu > 0 { result.notes["relay/echo CPU ×"] = relayCPU / cpu }
      }
      results.append(result)
    }
    print(self.json ? Report.json(results) : Report.table(results))
  }
}
