public import Wire

/// One device's ack: everything in its mailbox up to `cursor` was handled.
public struct AckCommand: Sendable, Equatable {
  public var device: DeviceAddress
  public var cursor: UInt64
  /// When it came, for the `delivered` receipts it writes.
  public var atMs: Int64

  public init(device: DeviceAddress, upTo cursor: UInt64, atMs: Int64) {
    self.device = device
    self.cursor = cursor
    self.atMs = atMs
  }
}
