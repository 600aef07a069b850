internal import Logging
internal import Redis
internal import RelayCore
internal import Wire

/// What push asks of the region: whether any node holds a device's stream.
extension RegionLink {
  /// True when a node of the region holds the device's session. When Redis
  /// cannot say, false: a wake-up too many is harmless, one too few is not.
  func holdsSession(_ device: DeviceAddress) async -> Bool {
    do {
      return try await self.redis.send(["EXISTS", RegionKeys.session(device)]).integer == 1
    } catch {
      self.logger.debug("cannot read a session from Redis", metadata: ["error": "\(error)"])
      return false
    }
  }
}
