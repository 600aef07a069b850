package import Wire

extension DeviceRecord {
  /// The device as a peer relay is told about it.
  package var info: Relay_V1_DeviceInfo {
    var info = Relay_V1_DeviceInfo()
    info.device = self.address.description
    info.identityKey = self.identityKey
    info.registeredAtMs = self.registeredAtMs
    return info
  }
}

extension DeviceAddress {
  /// Rebuilds an address read back from a store (already validated on the way in).
  package static func stored(user: String, device: String) throws -> DeviceAddress {
    try DeviceAddress(user: UserAddress(parsing: user), deviceID: device)
  }
}
