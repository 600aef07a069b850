internal import SwiftProtobuf
public import Wire

/// What a store knows of an attachment: who uploaded it, how long it is, how
/// much of it is stored, and when it expires.
public struct AttachmentRecord: Sendable, Hashable {
  public var id: AttachmentID
  /// The uploading device: only it may write; its user's quota counts the size.
  /// Nil for a copy fetched from another relay: no quota counts it, and only
  /// the fetch writes it (``AttachmentCopy``).
  public var uploader: DeviceAddress?
  /// The whole attachment's length in bytes.
  public var size: Int64
  /// Bytes stored durably, from the start: where the next chunk goes.
  public var committed: Int64
  public var expiresAtMs: Int64

  public init(id: AttachmentID, uploader: DeviceAddress?, size: Int64, committed: Int64, expiresAtMs: Int64) {
    self.id = id
    self.uploader = uploader
    self.size = size
    self.committed = committed
    self.expiresAtMs = expiresAtMs
  }

  /// Uploaded here, not a copy of another relay's.
  public var isOriginal: Bool { self.uploader != nil }

  /// Every byte is stored: it may be downloaded.
  public var isComplete: Bool { self.committed == self.size }

  /// As `relay.v1.Upload`.
  public var wire: Relay_V1_Upload {
    .with {
      $0.attachmentID = self.id.description
      $0.size = UInt64(self.size)
      $0.committed = UInt64(self.committed)
      $0.complete = self.isComplete
      $0.expiresAtMs = self.expiresAtMs
    }
  }
}
