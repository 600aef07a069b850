internal import Crypto
internal import E2E
public import Foundation
internal import GRPCCore
internal import SwiftProtobuf
internal import Wire

extension RelayDevice {
  /// Encrypts `data` under a fresh key (docs/e2e.md, "Attachments") and
  /// uploads the ciphertext to this device's relay in chunks of the relay's
  /// size. A stream that breaks is resumed where the relay says it stands,
  /// up to `sendAttempts` times. `progress` gets the bytes stored so far and
  /// the total, after each chunk.
  public func uploadAttachment(
    _ data: Data, contentType: String, fileName: String,
    progress: (@Sendable (_ stored: Int, _ total: Int) -> Void)? = nil
  ) async throws(ClientError) -> AttachmentReference {
    let cipher = AttachmentCipher.random()
    let sealed = cipher.seal(data)
    let created = try await Self.call("creating an upload") {
      try await self.relay.createUpload(.with { $0.size = UInt64(sealed.count) })
    }
    var standing = created
    for attempt in 1 ... self.configuration.sendAttempts where !standing.complete {
      do {
        standing = try await self.uploadChunks(sealed, of: standing, progress: progress)
      } catch {
        guard attempt < self.configuration.sendAttempts else { throw error }
        // Where the relay stands: the stream may have stored more than it answered.
        standing = try await Self.call("resuming an upload") {
          try await self.relay.getUpload(.with { $0.attachmentID = created.attachmentID })
        }
      }
    }
    return AttachmentReference(
      id: created.attachmentID, key: cipher.key, digest: Data(SHA256.hash(data: sealed)), size: UInt64(data.count),
      contentType: contentType, fileName: fileName)
  }

  /// Downloads the attachment from this device's relay, resuming a broken
  /// stream where it stopped, checks its length and digest, and opens it.
  public func downloadAttachment(
    _ reference: AttachmentReference, progress: (@Sendable (_ received: Int, _ total: Int) -> Void)? = nil
  ) async throws(ClientError) -> Data {
    // The size comes from a sender's message: checked, never trapped on.
    guard let size = Int(exactly: reference.size), size <= Int(Int32.max) * 1024 else {
      throw ClientError(.invalidArgument, "the attachment's announced size is out of range")
    }
    let expected = AttachmentCipher.sealedSize(of: size)
    var sealed = Data(capacity: expected)
    for attempt in 1 ... self.configuration.sendAttempts where sealed.count < expected {
      do {
        try await self.downloadChunks(reference.id, into: &sealed, total: expected, progress: progress)
      } catch {
        guard attempt < self.configuration.sendAttempts else { throw error }
      }
    }
    guard sealed.count == expected, Data(SHA256.hash(data: sealed)) == reference.digest else {
      throw ClientError(.crypto, "the downloaded attachment is not the one the message names (length or digest)")
    }
    do {
      return try AttachmentCipher(key: reference.key).open(sealed)
    } catch {
      throw ClientError(.crypto, "the attachment does not open", cause: error)
    }
  }

  private func uploadChunks(
    _ sealed: Data, of upload: Relay_V1_Upload, progress: (@Sendable (Int, Int) -> Void)?
  ) async throws(ClientError) -> Relay_V1_Upload {
    let chunk = Int(max(upload.maxChunkBytes, 1))
    guard let committed = Int(exactly: upload.committed), committed <= sealed.count else {
      throw ClientError(.relayRefused, "the relay reported an upload offset past the attachment")
    }
    return try await Self.call("uploading an attachment") {
      try await self.relay.uploadChunks { writer in
        var offset = committed
        while offset < sealed.count {
          let end = min(offset + chunk, sealed.count)
          try await writer.write(
            .with {
              $0.attachmentID = upload.attachmentID
              $0.offset = UInt64(offset)
              $0.data = sealed[offset ..< end]
            })
          offset = end
          progress?(offset, sealed.count)
        }
      }
    }
  }

  private func downloadChunks(
    _ id: String, into sealed: inout Data, total: Int, progress: (@Sendable (Int, Int) -> Void)?
  ) async throws(ClientError) {
    let start = sealed.count
    let received = try await Self.call("downloading an attachment") {
      try await self.relay.download(
        .with {
          $0.attachmentID = id
          $0.offset = UInt64(start)
        }
      ) { response in
        var data = Data()
        do {
          for try await chunk in response.messages {
            guard chunk.offset == UInt64(start + data.count), start + data.count + chunk.data.count <= total else {
              throw ClientError(.relayRefused, "the relay sent an attachment's bytes out of place")
            }
            data.append(chunk.data)
            progress?(start + data.count, total)
          }
        } catch {
          // What arrived is kept: the next attempt starts after it.
          return (data, error as (any Error)?)
        }
        return (data, nil)
      }
    }
    sealed.append(received.0)
    if let error = received.1 { throw ClientError(.relayRefused, "downloading an attachment broke off", cause: error) }
  }
}
