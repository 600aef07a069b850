internal import Federation
internal import GRPCCore
internal import Logging
internal import RelayCore
internal import Wire

extension ClientService {
  /// The device session: mailbox sync, then live frames both ways until the
  /// client half-closes, a newer stream for the device replaces this one
  /// (`ABORTED`), heartbeats stop (`UNAVAILABLE`) or the relay shuts down.
  func connect(
    request: RPCAsyncSequence<Relay_V1_ClientFrame, any Error>,
    response: RPCWriter<Relay_V1_ServerFrame>,
    context: ServerContext
  ) async throws {
    let device = try await self.authenticator.device(of: context, recheckHome: true).address
    let cursor = try await self.store.ackedCursor(of: device)
    let session = DeviceSession(device: device)
    self.sessions.attach(session)
    await self.presence.connected(session)
    self.logger.debug("session opened", metadata: ["device": "\(device)", "cursor": "\(cursor)"])
    defer {
      self.logger.debug("session closed", metadata: ["device": "\(device)"])
      // A replaced session leaves the device present: its successor is live.
      let wasCurrent = self.sessions.detach(session)
      self.presence.disconnected(session, deviceGone: wasCurrent)
    }
    // The writer runs in the call's own task and the reader in one child:
    // a task fewer per connected device than one child each. The first side
    // to fail stops the other at once. A call the client abandons (its
    // connection gone, the stream reset) is cancelled by gRPC, not by
    // cancelling this task: the writer is told to stop.
    try await withRPCCancellationHandler {
      try await self.run(session, from: cursor, request: request, response: response)
    } onCancelRPC: {
      session.abandon()
    }
  }

  private func run(
    _ session: DeviceSession, from cursor: UInt64, request: RPCAsyncSequence<Relay_V1_ClientFrame, any Error>,
    response: RPCWriter<Relay_V1_ServerFrame>
  ) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        do {
          try await self.readFrames(request, session: session)
          session.finish()
        } catch {
          session.abandon()
          throw error
        }
      }
      do {
        try await session.runWriter(
          to: response, store: self.store, from: cursor, pageSize: self.limits.syncPageSize, metrics: self.metrics,
          clock: self.clock)
      } catch {
        group.cancelAll()
        throw error
      }
      // The reader's outcome: its error, if the writer stopped for it.
      try await group.next()
    }
  }

  /// Handles client frames in order. Sends are queued for commit in order and
  /// their results written as they come back, up to a bound per stream.
  ///
  /// The loop that waits for frames keeps only a little state across its
  /// suspension; each kind of frame is handled in a function of its own, so
  /// the reader task's deepest stack (which it keeps while the device is
  /// connected) is that of one kind, not of all of them at once.
  private func readFrames(
    _ frames: RPCAsyncSequence<Relay_V1_ClientFrame, any Error>, session: DeviceSession
  ) async throws {
    let window = InFlightWindow(limit: self.limits.maxInFlightSendsPerStream)
    for try await frame in frames {
      guard let command = try await self.handle(frame, session: session) else { continue }
      try await window.acquire()
      // No task per send: the committer answers on the stream when the batch commits.
      self.committer.enqueue(command) { result in
        self.answer(result, to: command, session: session)
        window.release()
      }
    }
    // Every send's answer is queued on the session before the writer is told to finish.
    try await window.drain()
  }

  /// One client frame; a valid send comes back as its command, to queue for
  /// commit. A refused frame is answered with an error frame and the stream
  /// stays open.
  @inline(never)
  private func handle(_ frame: Relay_V1_ClientFrame, session: DeviceSession) async throws -> SendCommand? {
    do {
      switch try self.frameRules.check(frame, from: session.device) {
      case .send(let command):
        try self.rateLimiter.admit(session.device)
        return command
      case .ack(let cursor):
        try await self.acknowledge(cursor, session: session)
      case .read(let conversationID, let upToSeq):
        try await self.markRead(conversationID, upTo: upToSeq, session: session)
      case .typing(let conversationID, let typing):
        try await self.typing(conversationID, typing, session: session)
      case .presence(let users, let unsubscribe):
        try await self.subscribe(session, users, unsubscribe: unsubscribe)
      case .heartbeat(let clientTimeMs):
        self.heartbeat(clientTimeMs, session: session)
      }
    } catch let error as RelayError {
      let messageID = if case .send(let send) = frame.frame { send.messageID } else { "" }
      session.push(.error(error, messageID: messageID))
    }
    return nil
  }

  @inline(never)
  private func acknowledge(_ cursor: UInt64, session: DeviceSession) async throws {
    let ack = AckCommand(device: session.device, upTo: cursor, atMs: self.wallClock())
    self.dispatcher.committed(try await self.acks.enqueue(ack).result())
  }

  @inline(never)
  private func markRead(_ id: String, upTo seq: UInt64, session: DeviceSession) async throws {
    self.dispatcher.committed(
      try await self.store.markRead(device: session.device, conversationID: id, upToSeq: seq, nowMs: self.wallClock()))
  }

  @inline(never)
  private func typing(_ id: String, _ typing: Bool, session: DeviceSession) async throws {
    let user = session.device.user
    let conversation = try await self.store.conversation(id: id, viewer: user)
    self.presence.typing(conversationID: id, user: user, typing: typing, audience: conversation.members.map(\.user))
  }

  private func heartbeat(_ clientTimeMs: Int64, session: DeviceSession) {
    self.presence.heartbeat(session)
    var frame = Relay_V1_ServerFrame()
    frame.heartbeat.clientTimeMs = clientTimeMs
    frame.heartbeat.serverTimeMs = self.wallClock()
    session.push(frame)
  }

  /// A committed (or refused) send: ring its recipients, answer its sender.
  private func answer(_ result: Result<SendOutcome, RelayError>, to command: SendCommand, session: DeviceSession) {
    switch result {
    case .success(let outcome):
      self.dispatcher.committed(outcome.doorbells)
      var frame = Relay_V1_ServerFrame()
      frame.sent = outcome.result
      session.push(frame)
    case .failure(let error):
      session.push(.error(error, messageID: command.messageID.text))
    }
  }

  private func subscribe(_ session: DeviceSession, _ users: [UserAddress], unsubscribe: Bool) async throws {
    if unsubscribe {
      self.presence.unsubscribe(session, from: users)
      return
    }
    for (index, user) in users.enumerated() where user != session.device.user {
      guard try await self.store.sharesConversation(session.device.user, user) else {
        throw RelayError(.permissionDenied, "presence.users[\(index)] shares no conversation with the caller")
      }
    }
    var remote = [UserAddress: String]()
    for user in users {
      if let relay = try await self.regions.relay(of: user, store: self.store) { remote[user] = relay }
    }
    self.presence.subscribe(session, to: users.filter { remote[$0] == nil }, snapshot: true)
    guard !remote.isEmpty, let federator = self.federator else { return }
    // A remote user's relay (or home region) knows its presence: it answers now and pushes the changes.
    self.presence.subscribe(session, to: Array(remote.keys), snapshot: false)
    for presence in await federator.watch(remote) {
      var frame = Relay_V1_ServerFrame()
      frame.presence = presence
      session.push(frame)
    }
  }
}

extension Relay_V1_ServerFrame {
  /// An error about one client frame; the stream stays open.
  static func error(_ error: RelayError, messageID: String) -> Self {
    var frame = Self()
    frame.error.code = Int32(error.code.rpcCode.rawValue)
    frame.error.message = error.message
    frame.error.messageID = messageID
    frame.error.missingDevices = error.deviceMismatch?.missing ?? []
    frame.error.staleDevices = error.deviceMismatch?.stale ?? []
    return frame
  }
}
