public import Foundation
internal import GRPCCore
internal import SwiftProtobuf
internal import Wire

extension RelayDevice {
  /// Asks the relay to wake this device through its push gateway while it is
  /// offline (docs/push.md). `token` is what the operator's gateway knows the
  /// device by; wake-ups are signed with `secret` (HMAC-SHA256) when one is
  /// given. Replaces the device's endpoint, if it had one.
  public func setPushEndpoint(token: String, secret: Data = Data()) async throws(ClientError) {
    _ = try await Self.call("setting the push endpoint") {
      try await self.relay.setPushEndpoint(
        .with {
          $0.endpoint = .with {
            $0.kind = .webhook
            $0.token = token
            $0.secret = secret
          }
        })
    }
  }

  /// Stops wake-ups for this device; false when it had no endpoint.
  @discardableResult
  public func removePushEndpoint() async throws(ClientError) -> Bool {
    try await Self.call("removing the push endpoint") { try await self.relay.removePushEndpoint(.init()) }.removed
  }
}
