public import GRPCCore
internal import GRPCProtobuf

extension RelayError.Code {
  /// The gRPC status code a client sees.
  public var rpcCode: RPCError.Code {
    switch self.wrapped {
    case .invalidArgument: .invalidArgument
    case .notFound: .notFound
    case .alreadyExists: .alreadyExists
    case .permissionDenied: .permissionDenied
    case .unauthenticated: .unauthenticated
    case .failedPrecondition: .failedPrecondition
    case .resourceExhausted: .resourceExhausted
    case .outOfRange: .outOfRange
    case .unavailable: .unavailable
    case .aborted: .aborted
    case .internal: .internalError
    }
  }
}

/// Thrown from an RPC handler, a `RelayError` becomes the call's status. A
/// device mismatch also travels as a standard `google.rpc.PreconditionFailure`
/// detail (`grpc-status-details-bin`), one violation per device: type
/// `missing_device` or `stale_device`, subject the device address.
extension RelayError: RPCErrorConvertible {
  public var rpcErrorCode: RPCError.Code { self.code.rpcCode }
  public var rpcErrorMessage: String { self.message }

  public var rpcErrorMetadata: Metadata {
    if let home = self.home {
      var metadata = Metadata()
      metadata.addString(home.region, forKey: "relay-home-region")
      if let address = home.address { metadata.addString(address, forKey: "relay-home-address") }
      if let fingerprint = home.fingerprint { metadata.addString(fingerprint, forKey: "relay-home-fingerprint") }
      return metadata
    }
    guard let mismatch = self.deviceMismatch else { return [:] }
    let violations =
      mismatch.missing.map {
        ErrorDetails.PreconditionFailure.Violation(
          type: "missing_device", subject: $0, description: "a current device the send did not address")
      }
      + mismatch.stale.map {
        ErrorDetails.PreconditionFailure.Violation(
          type: "stale_device", subject: $0, description: "an addressed device that is not current")
      }
    let status = GoogleRPCStatus(
      code: self.code.rpcCode,
      message: self.message,
      details: [.preconditionFailure(violations: violations)]
    )
    return RPCError(status).metadata
  }
}

extension RelayError {
  /// A peer relay's answer to a call made on a client's behalf, passed on
  /// with its code and message; a status the relay does not use becomes
  /// `unavailable` (the peer could not be reached or failed).
  package init(forwarding error: RPCError, from peer: String) {
    let codes: [RelayError.Code] = [
      .invalidArgument, .notFound, .alreadyExists, .permissionDenied, .failedPrecondition, .resourceExhausted,
      .outOfRange,
    ]
    if let code = codes.first(where: { $0.rpcCode == error.code }) {
      self.init(code, error.message, cause: error)
    } else {
      self.init(.unavailable, "the relay of \(peer) could not complete the call", cause: error)
    }
  }
}

extension RelayError {
  /// A failed call to a peer relay made on a device's behalf: `notFound`
  /// when the peer has no such thing, `unavailable` ("try again later") when
  /// the peer could not be reached in time, else the peer's own answer
  /// (``init(forwarding:from:)``).
  package init(calling peer: String, failed error: RPCError, notFound: String) {
    switch error.code {
    case .notFound: self.init(.notFound, notFound)
    case .unavailable, .deadlineExceeded:
      self.init(.unavailable, "the relay of \(peer) is unreachable; try again later", cause: error)
    default: self.init(forwarding: error, from: peer)
    }
  }
}
