public import Foundation
public import Wire

/// Where the operator's push gateway wakes a device: the kind, the token the
/// gateway understands, and an optional key that signs each wake-up.
public struct PushEndpoint: Sendable, Hashable {
  public static let maxTokenBytes = 4096
  public static let maxSecretBytes = 64

  public var kind: Relay_V1_PushKind
  public var token: String
  public var secret: Data

  public init(kind: Relay_V1_PushKind, token: String, secret: Data = Data()) {
    self.kind = kind
    self.token = token
    self.secret = secret
  }

  /// A client's endpoint, checked: a known kind, a token of 1 to 4096 bytes
  /// of printable ASCII, a secret of at most 64 bytes.
  public init(wire: Relay_V1_PushEndpoint) throws(RelayError) {
    guard wire.kind == .webhook else {
      throw RelayError(.invalidArgument, "endpoint.kind must be PUSH_KIND_WEBHOOK")
    }
    let token = wire.token.utf8
    guard !token.isEmpty, token.count <= Self.maxTokenBytes, token.allSatisfy({ (0x21 ... 0x7E).contains($0) }) else {
      throw RelayError(
        .invalidArgument, "endpoint.token must be 1 to \(Self.maxTokenBytes) bytes of printable ASCII, no spaces")
    }
    guard wire.secret.count <= Self.maxSecretBytes else {
      throw RelayError(.invalidArgument, "endpoint.secret may be at most \(Self.maxSecretBytes) bytes")
    }
    self.init(kind: wire.kind, token: wire.token, secret: wire.secret)
  }
}
