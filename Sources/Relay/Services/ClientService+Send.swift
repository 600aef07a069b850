internal import GRPCCore
internal import RelayCore
internal import Wire

extension ClientService {
  func send(request: Relay_V1_SendRequest, context: ServerContext) async throws -> Relay_V1_SendResult {
    let caller = try await self.authenticator.device(of: context)
    let command = try self.sendCommand(request, from: caller.address)
    let outcome = try await self.committer.enqueue(command).result()
    self.dispatcher.committed(outcome.doorbells)
    return outcome.result
  }

  /// Checks a send against the limits (rate first), before any work is done.
  func sendCommand(_ request: Relay_V1_SendRequest, from sender: DeviceAddress) throws(RelayError) -> SendCommand {
    try self.rateLimiter.admit(sender)
    return try self.frameRules.send(request, from: sender)
  }
}
