import Foundation
import GRPCCore
import SwiftProtobuf
import Wire

/// Frames received on a test's `Connect` stream, and how it ended.
actor FrameInbox {
  private(set) var frames: [Relay_V1_ServerFrame] = []
  private(set) var ended = false
  private(set) var endError: RPCError?

  func append(_ frame: Relay_V1_ServerFrame) { self.frames.append(frame) }

  func finish(_ error: RPCError?) {
    self.ended = true
    self.endError = error
  }

  /// Removes and returns the first buffered frame `match` accepts.
  func take<T>(_ match: (Relay_V1_ServerFrame) -> T?) -> T? {
    for (index, frame) in self.frames.enumerated() {
      if let value = match(frame) {
        self.frames.remove(at: index)
        return value
      }
    }
    return nil
  }

  var buffered: [Relay_V1_ServerFrame] { self.frames }
}

struct TimedOut: Error, CustomStringConvertible {
  let what: String
  var description: String { "timed out waiting for \(self.what)" }
}

/// A device's live session stream, driven by a test.
struct TestSession: Sendable {
  let outbound: AsyncStream<Relay_V1_ClientFrame>.Continuation
  let inbox: FrameInbox

  func send(_ frame: Relay_V1_ClientFrame) { self.outbound.yield(frame) }

  /// Waits for (and consumes) the first frame `match` accepts.
  func next<T: Sendable>(
    _ what: String, timeout: Duration = .seconds(30), _ match: @Sendable (Relay_V1_ServerFrame) -> T?
  ) async throws -> T {
    let deadline = Patience.deadline(after: timeout)
    while ContinuousClock.now < deadline {
      if let value = await self.inbox.take(match) { return value }
      if await self.inbox.ended { break }
      try await Task.sleep(for: .milliseconds(5))
    }
    if let value = await self.inbox.take(match) { return value }
    throw TimedOut(what: what)
  }

  /// Sends a message and waits for its `sent` result (or its error frame).
  func sendMessage(
    _ conversationID: String, to devices: [String], text: String = "hello", messageID: String = newMessageID()
  ) async throws -> Result<Relay_V1_SendResult, Relay_V1_ErrorFrame> {
    self.send(.with { $0.send = sendRequest(conversationID, to: devices, text: text, messageID: messageID) })
    return try await self.next("the result of \(messageID)") {
      frame -> Result<Relay_V1_SendResult, Relay_V1_ErrorFrame>? in
      // Message ids come back in their canonical, lower-case form.
      if case .sent(let sent) = frame.frame, sent.messageID == messageID.lowercased() { return .success(sent) }
      if case .error(let error) = frame.frame, error.messageID == messageID { return .failure(error) }
      return nil
    }
  }

  /// Every envelope until the sync batch that says `caught_up`.
  func catchUp() async throws -> [Relay_V1_MailboxEntry] {
    var entries = [Relay_V1_MailboxEntry]()
    while true {
      let batch = try await self.next("a sync batch") { frame -> Relay_V1_SyncBatch? in
        if case .sync(let batch) = frame.frame { return batch }
        return nil
      }
      entries += batch.entries
      if batch.caughtUp { return entries }
    }
  }

  func envelope(timeout: Duration = .seconds(30)) async throws -> Relay_V1_Envelope {
    try await self.next("an envelope", timeout: timeout) { frame in
      if case .envelope(let envelope) = frame.frame { return envelope }
      return nil
    }
  }

  func receipt(_ status: Relay_V1_ReceiptStatus) async throws -> Relay_V1_Receipt {
    try await self.next("a \(status) receipt") { frame in
      if case .receipt(let receipt) = frame.frame, receipt.status == status { return receipt }
      return nil
    }
  }

  func errorFrame() async throws -> Relay_V1_ErrorFrame {
    try await self.next("an error frame") { frame in
      if case .error(let error) = frame.frame { return error }
      return nil
    }
  }

  /// Waits for the server to end the stream; its status (nil: OK).
  func end(timeout: Duration = .seconds(30)) async throws -> RPCError? {
    let deadline = Patience.deadline(after: timeout)
    while ContinuousClock.now < deadline {
      if await self.inbox.ended { return await self.inbox.endError }
      try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut(what: "the end of the stream")
  }
}

/// Opens `Connect` for the duration of `body`, then half-closes it.
func withSession<T: Sendable>(_ client: RelayClient, _ body: (TestSession) async throws -> T) async throws -> T {
  let (stream, continuation) = AsyncStream.makeStream(of: Relay_V1_ClientFrame.self)
  let inbox = FrameInbox()
  return try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask {
      do {
        try await client.connect { writer in
          for await frame in stream { try await writer.write(frame) }
        } onResponse: { response in
          // The call ends only when our side is done writing too.
          defer { continuation.finish() }
          for try await frame in response.messages { await inbox.append(frame) }
        }
        await inbox.finish(nil)
      } catch let error as RPCError {
        await inbox.finish(error)
      } catch {
        await inbox.finish(RPCError(code: .unknown, message: "\(error)"))
      }
    }
    do {
      let result = try await body(TestSession(outbound: continuation, inbox: inbox))
      continuation.finish()
      try await group.waitForAll()
      return result
    } catch {
      continuation.finish()
      group.cancelAll()
      throw error
    }
  }
}

func sendRequest(
  _ conversationID: String, to devices: [String], text: String, messageID: String
) -> Relay_V1_SendRequest {
  .with { request in
    request.messageID = messageID
    request.conversationID = conversationID
    request.copies = devices.map { device in
      .with {
        $0.device = device
        $0.ciphertext = Data("sealed:\(text):for:\(device)".utf8)
      }
    }
  }
}

/// The text a test "sealed" for a device (tests stand in for real encryption).
func openedText(_ envelope: Relay_V1_Envelope) -> String {
  let text = String(decoding: envelope.ciphertext, as: UTF8.self)
  return text.split(separator: ":").dropFirst().first.map(String.init) ?? ""
}

extension Relay_V1_ErrorFrame: Error {}

extension Relay_V1_ServerFrame {
  var hasPresence: Bool { if case .presence = self.frame { true } else { false } }
  var hasTyping: Bool { if case .typing = self.frame { true } else { false } }
  var hasHeartbeat: Bool { if case .heartbeat = self.frame { true } else { false } }
}
