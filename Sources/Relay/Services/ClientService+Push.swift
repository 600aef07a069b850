internal import GRPCCore
internal import RelayCore
internal import Wire

/// The calling device's push endpoint (docs/push.md).
extension ClientService {
  func setPushEndpoint(
    request: Relay_V1_SetPushEndpointRequest, context: ServerContext
  ) async throws -> Relay_V1_SetPushEndpointResponse {
    let caller = try await self.authenticator.device(of: context)
    guard request.hasEndpoint else { throw RelayError(.invalidArgument, "endpoint is required") }
    let endpoint = try PushEndpoint(wire: request.endpoint)
    guard self.configuration.push.gateway != nil else {
      throw RelayError(.failedPrecondition, "this relay has no push gateway")
    }
    try await self.store.setPushEndpoint(endpoint, for: caller.address)
    return Relay_V1_SetPushEndpointResponse()
  }

  func removePushEndpoint(
    request: Relay_V1_RemovePushEndpointRequest, context: ServerContext
  ) async throws -> Relay_V1_RemovePushEndpointResponse {
    let caller = try await self.authenticator.device(of: context)
    var response = Relay_V1_RemovePushEndpointResponse()
    response.removed = try await self.store.removePushEndpoint(for: caller.address)
    return response
  }
}
