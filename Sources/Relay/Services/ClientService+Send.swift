internal import GRPCCore
internal import Wire

extension ClientService {
  func send(request: Relay_V1_SendRequest, context: ServerContext) async throws -> Relay_V1_SendResult {
    let caller = try await self.authenticator.device(of: context)
    let command = try self.sendCommand(request, from: caller.address)
    let outcome = try await self.committer.enqueue(command).result()
    self.deliver(outcome.doorbells)
    return outcome.result
  }

  /// Checks a send against the limits (rate first), before any work is done.
  func sendCommand(_ request: Relay_V1_SendRequest, from sender: DeviceAddress) throws(RelayError) -> SendCommand {
    try self.rateLimiter.admit(sender)
    let messageID = try RequestValidation.messageID(request.messageID)
    let conversationID = try RequestValidation.conversationID(request.conversationID)
    guard !request.copies.isEmpty else {
      throw RelayError(.invalidArgument, "copies must hold one ciphertext per recipient device")
    }
    guard request.copies.count <= self.limits.maxCopiesPerSend else {
      throw RelayError(.resourceExhausted, "a send may carry at most \(self.limits.maxCopiesPerSend) ciphertexts")
    }
    var copies = [SendCommand.Copy]()
    copies.reserveCapacity(request.copies.count)
    var seen = Set<DeviceAddress>()
    for (index, copy) in request.copies.enumerated() {
      let device = try RequestValidation.device(copy.device, field: "copies[\(index)].device")
      guard seen.insert(device).inserted else {
        throw RelayError(.invalidArgument, "copies[\(index)] addresses a device a second time")
      }
      guard copy.ciphertext.count <= self.limits.maxEnvelopeBytes else {
        throw RelayError(
          .resourceExhausted, "copies[\(index)].ciphertext is over the \(self.limits.maxEnvelopeBytes)-byte limit")
      }
      guard !copy.ciphertext.isEmpty else {
        throw RelayError(.invalidArgument, "copies[\(index)].ciphertext is empty")
      }
      copies.append(SendCommand.Copy(device: device, ciphertext: copy.ciphertext))
    }
    return SendCommand(
      sender: sender, messageID: messageID, conversationID: conversationID, copies: copies,
      originRelay: self.configuration.domain)
  }
}
