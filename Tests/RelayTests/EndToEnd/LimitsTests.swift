import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftProtobuf
import Testing
import Wire

@testable import Relay
@testable import RelayCore
@testable import RelayStorePostgres
@testable import RelayStoreSQLite
@testable import RelayTestSupport

@Suite("Every limit is enforced before work is done", .timeLimit(Patience.minutes(3)))
struct LimitsTests {
  @Test("envelope bytes, ciphertexts per send, group members")
  func sizeLimits() async throws {
    try await withPair(configure: {
      $0.limits.maxEnvelopeBytes = 100
      $0.limits.maxCopiesPerSend = 2
      $0.limits.maxGroupMembers = 3
    }) { relay, alice, a, bob, b, chat in
      var big = sendRequest(chat, to: [bob.address], text: "x", messageID: newMessageID())
      big.copies[0].ciphertext = randomBytes(101)
      #expect(await statusCode { _ = try await a.send(big) } == .resourceExhausted)
      let many = sendRequest(
        chat, to: [bob.address, "x@localhost/1", "y@localhost/2"], text: "x", messageID: newMessageID())
      #expect(await statusCode { _ = try await a.send(many) } == .resourceExhausted)
      for name in ["carol", "dave", "erin"] {
        let device = TestDevice("\(name)@localhost")
        _ = try await device.withClient(relay) { try await device.register($0) }
      }
      #expect(
        await statusCode {
          _ = try await a.createConversation(
            .with {
              $0.kind = .group
              $0.members = ["bob@localhost", "carol@localhost", "dave@localhost"]
            })
        } == .resourceExhausted)
      let group = try await a.createConversation(
        .with {
          $0.kind = .group
          $0.members = ["bob@localhost", "carol@localhost"]
        })
      #expect(
        await statusCode {
          _ = try await a.addMembers(
            .with {
              $0.conversationID = group.id
              $0.users = ["dave@localhost"]
            })
        } == .resourceExhausted)
      // Nothing was written by the refused calls.
      let after = try await a.getConversation(.with { $0.conversationID = group.id })
      #expect(after.members.count == 3)
      #expect(try await a.getConversation(.with { $0.conversationID = chat }).lastSeq == 0)
    }
  }

  @Test("sends per second per device: RESOURCE_EXHAUSTED, and the stream stays usable")
  func rateLimit() async throws {
    try await withPair(configure: {
      $0.limits.sendsPerSecond = 1
      $0.limits.sendBurst = 3
    }) { _, alice, a, bob, b, chat in
      try await withSession(a) { session in
        _ = try await session.catchUp()
        // Five sends in one burst: the bucket holds three.
        let ids = (0 ..< 5).map { _ in newMessageID() }
        for (index, id) in ids.enumerated() {
          session.send(.with { $0.send = sendRequest(chat, to: [bob.address], text: "r\(index)", messageID: id) })
        }
        var outcomes = [Bool]()
        for id in ids {
          let ok = try await session.next("the result of \(id)") { frame -> Bool? in
            if case .sent(let sent) = frame.frame, sent.messageID == id { return true }
            if case .error(let error) = frame.frame, error.messageID == id {
              #expect(error.code == Int32(RPCError.Code.resourceExhausted.rawValue))
              return false
            }
            return nil
          }
          outcomes.append(ok)
        }
        #expect(outcomes == [true, true, true, false, false])
        try await Task.sleep(for: .milliseconds(1100))
        _ = try await session.sendMessage(chat, to: [bob.address], text: "later").get()
      }
      // The unary call shares the device's bucket: of six sends at once (at
      // most one token left, one more a second), most are refused.
      let refused = await withTaskGroup(of: Bool.self) { group in
        for _ in 0 ..< 6 {
          group.addTask {
            await statusCode({
              _ = try await a.send(sendRequest(chat, to: [bob.address], text: "u", messageID: newMessageID()))
            }) == .resourceExhausted
          }
        }
        return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
      }
      #expect(refused >= 3)
    }
  }

  @Test("a presence frame naming more users than a group may hold: RESOURCE_EXHAUSTED at once, the stream goes on")
  func presenceListLimit() async throws {
    try await withPair(configure: { $0.limits.maxGroupMembers = 5 }) { _, alice, a, bob, b, chat in
      try await withSession(a) { session in
        _ = try await session.catchUp()
        session.send(.with { $0.presence.users = (0 ..< 2_000).map { "user\($0)@localhost" } })
        let refused = try await session.errorFrame()
        #expect(refused.code == Int32(RPCError.Code.resourceExhausted.rawValue), "\(refused.message)")
        #expect(refused.message.contains("at most 5 users"), "\(refused.message)")
        #expect(try await session.sendMessage(chat, to: [bob.address], text: "still here").get().seq == 1)
      }
    }
  }

  @Test("a message over the max frame size is RESOURCE_EXHAUSTED")
  func frameSize() async throws {
    try await withPair(configure: { $0.limits.maxFrameBytes = 64 * 1024 }) { _, alice, a, bob, b, chat in
      var request = sendRequest(chat, to: [bob.address], text: "x", messageID: newMessageID())
      request.copies[0].ciphertext = randomBytes(70 * 1024)
      do {
        _ = try await a.send(request)
        Issue.record("an oversized message was accepted")
      } catch let error as RPCError {
        #expect(error.code == .resourceExhausted, "\(error)")
      }
      _ = try await a.send(sendRequest(chat, to: [bob.address], text: "small", messageID: newMessageID()))
    }
  }

  @Test("a connection that never completes TLS, or sits idle, is closed")
  func idleConnection() async throws {
    try await withRelay(configure: { $0.connection.handshakeTimeout = .milliseconds(500) }) { relay in
      let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: relay.port).get()
      try await expectClosedByRelay(channel)
    }
  }

  @Test("a connection that completes mutual TLS but makes no call is closed after the idle timeout")
  func idleAfterHandshake() async throws {
    try await withRelay(configure: { $0.connection.idleTimeout = .milliseconds(500) }) { relay in
      let device = TestDevice("idle@localhost")
      var tls = TLSConfiguration.makeClientConfiguration()
      tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(device.certificatePEM.utf8)).map {
        .certificate($0)
      }
      tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(device.privateKeyPEM.utf8), format: .pem))
      tls.certificateVerification = .none
      tls.applicationProtocols = ["h2"]
      let context = try NIOSSLContext(configuration: tls)
      let handshaken = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
      let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
            try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: handshaken))
          }
        }
        .connect(host: "127.0.0.1", port: relay.port).get()
      try await handshaken.futureResult.get()
      try await expectClosedByRelay(channel)
    }
  }

  @Test("a client without a certificate cannot even connect")
  func noClientCertificate() async throws {
    try await withRelay { relay in
      let transport = try HTTP2ClientTransport.Posix(
        target: .ipv4(address: "127.0.0.1", port: relay.port),
        transportSecurity: .tls { tls in
          tls.trustRoots = .certificates([.bytes(Array(relay.certificatePEM.utf8), format: .pem)])
          tls.serverCertificateVerification = .noHostnameVerification
        }
      )
      let code = await statusCode {
        try await withGRPCClient(transport: transport) { client in
          _ = try await RelayClient(wrapping: client).listConversations(.init())
        }
      }
      #expect(code == .unavailable)
    }
  }

  @Test("a device that stops sending heartbeats is closed with UNAVAILABLE and shown offline")
  func heartbeatTimeout() async throws {
    try await withPair(configure: {
      $0.presence.ttl = .seconds(3)
      $0.presence.sweepInterval = .milliseconds(100)
    }) { _, alice, a, bob, b, chat in
      try await withSession(a) { watcher in
        _ = try await watcher.catchUp()
        // The watcher keeps itself present; Bob's device stays silent.
        let beating = Task.detached {
          while !Task.isCancelled {
            watcher.send(.with { $0.heartbeat = .init() })
            try? await Task.sleep(for: .milliseconds(100))
          }
        }
        defer { beating.cancel() }
        try await withSession(b) { silent in
          _ = try await silent.catchUp()
          watcher.send(.with { $0.presence.users = ["bob@localhost"] })
          // Bob is usually still online when the subscription answers; on a
          // loaded machine his silence may already have run out by then.
          let first = try await watcher.next("bob's presence") { frame -> Relay_V1_Presence? in
            if case .presence(let p) = frame.frame, p.user == "bob@localhost" { return p }
            return nil
          }
          let end = try await silent.end(timeout: .seconds(10))
          #expect(end?.code == .unavailable)
          let offline =
            first.online
            ? try await watcher.next("bob offline") { frame -> Relay_V1_Presence? in
              if case .presence(let p) = frame.frame, !p.online { return p }
              return nil
            } : first
          #expect(offline.lastSeenMs > 0)
        }
      }
    }
  }
}

/// Completes a promise when the TLS handshake is done.
final class HandshakeWatcher: ChannelInboundHandler, Sendable {
  typealias InboundIn = NIOAny
  let promise: EventLoopPromise<Void>

  init(promise: EventLoopPromise<Void>) { self.promise = promise }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { self.promise.succeed() }
    context.fireUserInboundEventTriggered(event)
  }

  func channelInactive(context: ChannelHandlerContext) {
    self.promise.fail(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
  }
}

/// Waits for the relay to close `channel`: within 5 s, or the test fails
/// (after 10 s at most; both scaled by ``Patience``).
func expectClosedByRelay(_ channel: any Channel) async throws {
  let started = ContinuousClock.now
  try await withThrowingTaskGroup(of: Void.self) { group in
    group.addTask { try await channel.closeFuture.get() }
    group.addTask {
      try await Task.sleep(until: Patience.deadline(after: .seconds(10)))
      channel.close(promise: nil)
      throw TimedOut(what: "the relay to close a connection")
    }
    try await group.next()
    group.cancelAll()
  }
  #expect(ContinuousClock.now - started < .seconds(5) * Patience.scale)
}
