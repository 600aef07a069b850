package import Wire

/// One of the first parts of a transfer too large for one event, checked
/// (``FederationRules/checkPart(_:from:)``): the new home keeps it aside
/// until the last part comes (docs/regions.md, "Moving a user").
package struct TransferPart: Sendable {
  package var user: UserAddress
  package var version: UInt64
  /// The old home's region name (the sender).
  package var source: String
  package var part: UInt32
  package var transfer: Relay_V1_UserTransfer
}

extension UserTransferPlan {
  /// The last part's plan with the parts kept aside before it: the whole
  /// transfer, checked again as one (every entry against its device's cursors).
  package func assembled(
    with earlier: [Relay_V1_UserTransfer], rules: FederationRules
  ) throws(RelayError) -> UserTransferPlan {
    guard earlier.count == Int(self.transfer.parts) - 1,
      earlier.enumerated().allSatisfy({ $0.offset == Int($0.element.part) })
    else { throw RelayError(.failedPrecondition, "a transfer's earlier parts are missing") }
    return try rules.check(
      self.transfer.merged(with: earlier), from: RelayID.of(domain: rules.localDomain, region: self.source))
  }
}
