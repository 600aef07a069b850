internal import GRPCCore
internal import Logging
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
    let device = try await self.authenticator.device(of: context).address
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
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask {
        try await session.runWriter(
          to: response, store: self.store, from: cursor, pageSize: self.limits.syncPageSize, metrics: self.metrics)
      }
      group.addTask {
        try await self.readFrames(request, session: session)
        session.finish()
      }
      // `waitForAll` would wait for the reader even after the writer failed:
      // on the first failure, cancel the other side at once.
      do {
        try await group.next()
        try await group.next()
      } catch {
        group.cancelAll()
        throw error
      }
    }
  }

  /// Handles client frames in order. Sends are queued for commit in order and
  /// their results written as they come back, up to a bound per stream.
  private func readFrames(
    _ frames: RPCAsyncSequence<Relay_V1_ClientFrame, any Error>, session: DeviceSession
  ) async throws {
    let device = session.device
    try await withThrowingTaskGroup(of: Void.self) { inflight in
      var pending = 0
      for try await frame in frames {
        do {
          switch frame.frame {
          case .send(let send):
            let ticket: SendCommitter.Ticket
            do throws(RelayError) {
              ticket = self.committer.enqueue(try self.sendCommand(send, from: device))
            } catch {
              session.push(.error(error, messageID: send.messageID))
              continue
            }
            if pending >= self.limits.maxInFlightSendsPerStream {
              try await inflight.next()
              pending -= 1
            }
            pending += 1
            inflight.addTask { await self.complete(ticket, session: session) }
          case .ack(let ack):
            self.deliver(
              try await self.store.acknowledge(device: device, upTo: ack.cursor, nowMs: self.wallClock()))
          case .read(let read):
            let id = try RequestValidation.conversationID(read.conversationID)
            self.deliver(
              try await self.store.markRead(
                device: device, conversationID: id, upToSeq: read.upToSeq, nowMs: self.wallClock()))
          case .typing(let typing):
            let id = try RequestValidation.conversationID(typing.conversationID)
            let conversation = try await self.store.conversation(id: id, viewer: device.user)
            self.presence.typing(
              conversationID: id, user: device.user, typing: typing.typing, audience: conversation.members.map(\.user))
          case .presence(let subscribe):
            try await self.subscribe(session, subscribe)
          case .heartbeat(let heartbeat):
            self.presence.heartbeat(session)
            var frame = Relay_V1_ServerFrame()
            frame.heartbeat.clientTimeMs = heartbeat.clientTimeMs
            frame.heartbeat.serverTimeMs = self.wallClock()
            session.push(frame)
          case nil:
            throw RelayError(.invalidArgument, "a client frame must set one of its frame fields")
          }
        } catch let error as RelayError {
          session.push(.error(error, messageID: ""))
        }
      }
      try await inflight.waitForAll()
    }
  }

  private func complete(_ ticket: SendCommitter.Ticket, session: DeviceSession) async {
    do {
      let outcome = try await ticket.result()
      self.deliver(outcome.doorbells)
      var frame = Relay_V1_ServerFrame()
      frame.sent = outcome.result
      session.push(frame)
    } catch {
      session.push(.error(RelayError.wrapping(error, "send"), messageID: ticket.command.messageID.text))
    }
  }

  private func subscribe(_ session: DeviceSession, _ request: Relay_V1_PresenceSubscribe) async throws {
    var users = [UserAddress]()
    for (index, text) in request.users.enumerated() {
      users.append(try RequestValidation.user(text, field: "presence.users[\(index)]"))
    }
    if request.unsubscribe {
      self.presence.unsubscribe(session, from: users)
      return
    }
    for (index, user) in users.enumerated() where user != session.device.user {
      guard try await self.store.sharesConversation(session.device.user, user) else {
        throw RelayError(.permissionDenied, "presence.users[\(index)] shares no conversation with the caller")
      }
    }
    let remote = users.filter { $0.domain != self.configuration.domain }
    self.presence.subscribe(session, to: users.filter { $0.domain == self.configuration.domain }, snapshot: true)
    guard !remote.isEmpty, let federator = self.federator else { return }
    // A remote user's relay knows its presence: it answers now and pushes the changes.
    self.presence.subscribe(session, to: remote, snapshot: false)
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
