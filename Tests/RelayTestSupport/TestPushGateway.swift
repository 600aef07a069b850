import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TLSIdentity

@testable import RelayCore

/// A push gateway for the tests: HTTPS on loopback with a certificate of its
/// own (the relay trusts it through `push.gateway_ca`, so the relay's
/// certificate check is exercised), recording every request and answering
/// with the statuses the test scripts (200 once the script runs out).
final class TestPushGateway: Sendable {
  struct Request: Sendable {
    var headers: [(String, String)]
    var body: Data
    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: self.body)) as? [String: Any] }
  }

  let url: String
  /// A PEM file with the gateway's certificate, for `push.gateway_ca`.
  let caPath: String
  private let channel: any Channel
  private let state: Mutex<(requests: [Request], script: [Int])>

  private init(port: Int, caPath: String, channel: any Channel) {
    self.url = "https://127.0.0.1:\(port)/wake"
    self.caPath = caPath
    self.channel = channel
    self.state = Mutex(([], []))
  }

  static func with<T: Sendable>(_ body: (TestPushGateway) async throws -> T) async throws -> T {
    let made = try SelfSignedCertificate.make(
      commonName: "gateway", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
    let caPath = makeTemporaryDirectory() + "/gateway-ca.pem"
    try Data(try made.certificatePEM().utf8).write(to: URL(fileURLWithPath: caPath))
    let tls = try NIOSSLContext(
      configuration: .makeServerConfiguration(
        certificateChain: [
          .certificate(try NIOSSLCertificate(bytes: Array(try made.certificatePEM().utf8), format: .pem))
        ],
        privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(made.privateKeyPEM.utf8), format: .pem))))
    let box = Box()
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline()
          try channel.pipeline.syncOperations.addHandler(Handler(gateway: box))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    let gateway = TestPushGateway(port: channel.localAddress!.port!, caPath: caPath, channel: channel)
    box.gateway.withLock { $0 = gateway }
    do {
      let result = try await body(gateway)
      try? await channel.close()
      return result
    } catch {
      try? await channel.close()
      throw error
    }
  }

  /// The next requests get these statuses, in order; 0 holds the request
  /// unanswered (a gateway that hangs) until the caller gives up.
  func answer(_ statuses: [Int]) { self.state.withLock { $0.script += statuses } }

  var requests: [Request] { self.state.withLock { $0.requests } }

  /// Waits for `count` wake-ups with `token`; every request the gateway got by then.
  @discardableResult
  func waitForToken(_ token: String, count: Int = 1, timeout: Duration = .seconds(30)) async throws -> [Request] {
    let deadline = Patience.deadline(after: timeout)
    while ContinuousClock.now < deadline {
      let requests = self.requests
      if requests.tokens(token) >= count { return requests }
      try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(what: "\(count) wake-ups for \(token) (got \(self.requests.tokens(token)))")
  }

  fileprivate func received(_ request: Request) -> Int {
    self.state.withLock { state in
      state.requests.append(request)
      return state.script.isEmpty ? 200 : state.script.removeFirst()
    }
  }

  private final class Box: Sendable {
    let gateway = Mutex<TestPushGateway?>(nil)
  }

  private final class Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let gateway: Box
    private var head: HTTPRequestHead?
    private var body = Data()

    init(gateway: Box) { self.gateway = gateway }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch self.unwrapInboundIn(data) {
      case .head(let head):
        self.head = head
        self.body = Data()
      case .body(let buffer):
        self.body.append(contentsOf: buffer.readableBytesView)
      case .end:
        let request = Request(headers: self.head?.headers.map { ($0.name, $0.value) } ?? [], body: self.body)
        let status = self.gateway.gateway.withLock { $0 }?.received(request) ?? 500
        guard status != 0 else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-length", value: "0")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
      }
    }
  }
}

extension TestPushGateway {
  /// The config file's `push` section for this gateway, as ``RelayConfiguration/Push/testing(_:)``.
  func configYAML(timeoutMs: Int = 10_000) -> String {
    "push: { gateway: \"\(self.url)\", gateway_ca: \"\(self.caPath)\", interval_seconds: 3600, "
      + "timeout_ms: \(timeoutMs), retry_initial_ms: 50, retry_maximum_seconds: 1, scan_interval_ms: 100 }\n"
  }
}

extension [TestPushGateway.Request] {
  /// How many of these are wake-ups with `token`.
  func tokens(_ token: String) -> Int { self.filter { $0.json?["token"] as? String == token }.count }
}

extension RelayConfiguration.Push {
  /// Push through `gateway`, trusting its certificate: one wake-up an hour
  /// per device, quick retries and scans, so tests see each step at once.
  static func testing(_ gateway: TestPushGateway) -> Self {
    var push = Self.defaults
    push.gateway = gateway.url
    push.gatewayCAPath = gateway.caPath
    push.interval = .seconds(3600)
    push.retryInitial = .milliseconds(50)
    push.retryMaximum = .milliseconds(200)
    push.scanInterval = .milliseconds(100)
    return push
  }
}
