internal import AsyncHTTPClient
internal import Crypto
internal import Foundation
internal import Logging
internal import NIOCore
internal import NIOHTTP1
internal import NIOSSL
internal import RelayCore
internal import Wire

/// The operator's HTTPS gateway: one `POST` per wake-up, a JSON body with the
/// token, the device and how many entries wait — no sender, no conversation,
/// no content — signed with the device's secret when it registered one
/// (`X-Relay-Signature: sha256=HEX`, an HMAC-SHA256 of the body). The
/// gateway's certificate is verified against the system's roots or the
/// configured CA. HTTP/2 when the gateway offers it.
final class WebhookGateway: PushGateway {
  private let url: String
  private let timeout: Duration
  private let client: HTTPClient
  private let logger: Logger

  init(configuration: RelayConfiguration.Push, gateway: String, logger: Logger) throws(RelayError) {
    guard let url = URL(string: gateway), ["https", "http"].contains(url.scheme ?? ""), url.host?.isEmpty == false
    else {
      throw RelayError(.invalidArgument, "the push gateway must be an https:// (or http://) URL with a host")
    }
    var tls = TLSConfiguration.makeClientConfiguration()
    if let ca = configuration.gatewayCAPath {
      do {
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
      } catch {
        throw RelayError(.invalidArgument, "cannot read the push gateway's CA certificates (\(ca))", cause: error)
      }
    }
    var http = HTTPClient.Configuration(tlsConfiguration: tls)
    http.timeout = .init(connect: .init(configuration.timeout), read: .init(configuration.timeout))
    http.httpVersion = .automatic
    self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
    self.url = gateway
    self.timeout = configuration.timeout
    self.logger = logger
  }

  func wake(_ wakeUp: WakeUp) async -> WakeUpPolicy.Answer {
    let body = Self.body(wakeUp, sentAtMs: HybridLogicalClock.systemMilliseconds())
    var request = HTTPClientRequest(url: self.url)
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    if !wakeUp.endpoint.secret.isEmpty {
      let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: wakeUp.endpoint.secret))
      request.headers.add(name: "x-relay-signature", value: "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
    }
    request.body = .bytes(ByteBuffer(bytes: body))
    do {
      let response = try await self.client.execute(request, timeout: .init(self.timeout))
      // The answer's body is the gateway's business; read a little and drop it.
      _ = try? await response.body.collect(upTo: 64 * 1024)
      return .status(Int(response.status.code))
    } catch {
      self.logger.debug("the push gateway did not answer", metadata: ["error": "\(error)"])
      return .noAnswer
    }
  }

  func shutdown() async {
    try? await self.client.shutdown()
  }

  /// `{"device":"…","sent_at_ms":…,"token":"…","waiting":…}`, keys sorted.
  static func body(_ wakeUp: WakeUp, sentAtMs: Int64) -> [UInt8] {
    struct Body: Encodable {
      var token: String
      var device: String
      var waiting: UInt64
      var sent_at_ms: Int64
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let body = Body(
      token: wakeUp.endpoint.token, device: wakeUp.device.description, waiting: wakeUp.waiting, sent_at_ms: sentAtMs)
    return Array((try? encoder.encode(body)) ?? Data())
  }
}
