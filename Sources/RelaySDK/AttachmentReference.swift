public import Foundation

/// An attachment this device uploaded, or one a message pointed to: where it
/// is and how to open it (docs/e2e.md, "Attachments"). Send it only inside a
/// sealed message: its `key` opens the file.
public struct AttachmentReference: Sendable, Hashable, Codable {
  /// `KEY@DOMAIN`: the attachment on the relay of that domain.
  public var id: String
  /// The 32-byte key of its `AttachmentCipher`.
  public var key: Data
  /// SHA-256 of the whole ciphertext.
  public var digest: Data
  /// The plaintext's length.
  public var size: UInt64
  public var contentType: String
  public var fileName: String

  public init(id: String, key: Data, digest: Data, size: UInt64, contentType: String, fileName: String) {
    self.id = id
    self.key = key
    self.digest = digest
    self.size = size
    self.contentType = contentType
    self.fileName = fileName
  }
}
