internal import Foundation
internal import SwiftProtobuf
internal import Wire

extension AttachmentReference {
  /// As it travels inside a sealed message's `Content`.
  var pointer: Relay_V1_AttachmentPointer {
    .with {
      $0.attachmentID = self.id
      $0.key = self.key
      $0.digest = self.digest
      $0.size = self.size
      $0.contentType = self.contentType
      $0.fileName = self.fileName
    }
  }

  init(_ pointer: Relay_V1_AttachmentPointer) {
    self.init(
      id: pointer.attachmentID, key: pointer.key, digest: pointer.digest, size: pointer.size,
      contentType: pointer.contentType, fileName: pointer.fileName)
  }
}
