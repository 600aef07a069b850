internal import Crypto
public import Foundation

/// An attachment's encryption (docs/e2e.md, "Attachments"): AES-256-GCM over
/// fixed 64 KiB chunks in the STREAM construction, under a fresh random key.
///
/// Chunk `i` (from 0) of the plaintext seals with nonce `prefix || i || last`
/// (7 bytes, 32-bit big-endian counter, 1 byte: 1 on the final chunk, else
/// 0) and no associated data, into `chunk || tag`. The final chunk holds 0 to
/// 64 KiB, so every plaintext — empty too — ends with one. Reordered,
/// dropped, repeated or truncated chunks do not open. Ciphertext chunk `i`
/// starts at `i * (65536 + 16)`, so a download can resume at any chunk.
public struct AttachmentCipher: Sendable {
  /// Plaintext bytes per chunk.
  public static let chunkSize = 65_536
  public static let tagSize = 16
  /// Ciphertext bytes per full chunk.
  public static let sealedChunkSize = chunkSize + tagSize
  public static let info = Data("Relay_Attachment_v1".utf8)

  /// The 32 random bytes a recipient needs, sent inside the sealed message.
  public let key: Data
  private let aesKey: SymmetricKey
  private let prefix: Data

  /// A cipher for a new attachment, with a fresh key from the system's secure generator.
  public static func random() -> AttachmentCipher {
    try! AttachmentCipher(key: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
  }

  /// The cipher of an attachment whose `key` came in a sealed message.
  /// `(K_enc, prefix) = HKDF(salt: 32 zero bytes, ikm: key, info: "Relay_Attachment_v1", 39)`.
  public init(key: Data) throws(E2EError) {
    guard key.count == 32 else { throw E2EError(code: .invalidKey, message: "an attachment key must be 32 bytes") }
    self.key = key
    let out = KDF.hkdf(ikm: key, salt: Data(count: 32), info: Self.info, count: 39)
    self.aesKey = SymmetricKey(data: out.prefix(32))
    self.prefix = Data(out.suffix(7))
  }

  /// The ciphertext's length for a plaintext of `size` bytes.
  public static func sealedSize(of size: Int) -> Int {
    let chunks = size / chunkSize + 1
    return size + chunks * tagSize
  }

  /// The whole plaintext, sealed.
  public func seal(_ plaintext: Data) -> Data {
    var sealed = Data(capacity: Self.sealedSize(of: plaintext.count))
    var index: UInt32 = 0
    var start = plaintext.startIndex
    while true {
      let end = min(start + Self.chunkSize, plaintext.endIndex)
      let last = end - start < Self.chunkSize
      sealed.append(self.sealChunk(plaintext[start ..< end], index: index, last: last))
      if last { return sealed }
      start = end
      index += 1
    }
  }

  /// The whole ciphertext, opened; refused unless every chunk authenticates,
  /// in order, and the last one is marked final.
  public func open(_ sealed: Data) throws(E2EError) -> Data {
    var plaintext = Data(capacity: max(0, sealed.count - Self.tagSize))
    var index: UInt32 = 0
    var start = sealed.startIndex
    while true {
      let end = min(start + Self.sealedChunkSize, sealed.endIndex)
      let last = end - start < Self.sealedChunkSize
      plaintext.append(try self.openChunk(sealed[start ..< end], index: index, last: last))
      if last { return plaintext }
      start = end
      index += 1
    }
  }

  func sealChunk(_ chunk: Data, index: UInt32, last: Bool) -> Data {
    // AES-GCM seals any 0...64 KiB chunk under a 12-byte nonce.
    let box = try! AES.GCM.seal(chunk, using: self.aesKey, nonce: self.nonce(index, last))
    return box.ciphertext + box.tag
  }

  func openChunk(_ sealed: Data, index: UInt32, last: Bool) throws(E2EError) -> Data {
    guard sealed.count >= Self.tagSize else {
      throw E2EError(code: .malformed, message: "an attachment chunk is shorter than its 16-byte tag")
    }
    do {
      let box = try AES.GCM.SealedBox(
        nonce: self.nonce(index, last), ciphertext: sealed.dropLast(Self.tagSize), tag: sealed.suffix(Self.tagSize))
      return try AES.GCM.open(box, using: self.aesKey)
    } catch {
      throw E2EError(code: .decryptionFailed, message: "an attachment chunk does not authenticate", cause: error)
    }
  }

  private func nonce(_ index: UInt32, _ last: Bool) -> AES.GCM.Nonce {
    var bytes = self.prefix
    withUnsafeBytes(of: index.bigEndian) { bytes.append(contentsOf: $0) }
    bytes.append(last ? 1 : 0)
    return try! AES.GCM.Nonce(data: bytes)
  }
}
