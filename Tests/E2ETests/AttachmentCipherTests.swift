import Crypto
import Foundation
import Testing

@testable import E2E

/// The attachment construction (docs/e2e.md, "Attachments"): chunks that
/// open only in order, complete, under their key.
@Suite("Attachments: AES-256-GCM over 64 KiB chunks (STREAM)")
struct AttachmentCipherTests {
  static func bytes(_ count: Int) -> Data { Data((0 ..< count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }) }

  @Test(
    "every length round-trips, and the ciphertext is as long as the page says",
    arguments: [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_000])
  func roundTrip(size: Int) throws {
    let cipher = AttachmentCipher.random()
    let plaintext = Self.bytes(size)
    let sealed = cipher.seal(plaintext)
    #expect(sealed.count == AttachmentCipher.sealedSize(of: size))
    #expect(sealed.count == size + (size / 65_536 + 1) * 16)
    #expect(try AttachmentCipher(key: cipher.key).open(sealed) == plaintext)
  }

  @Test("a truncated, reordered, extended or altered ciphertext, or another key, does not open")
  func refused() throws {
    let cipher = AttachmentCipher.random()
    let sealed = cipher.seal(Self.bytes(3 * 65_536 + 10))
    let chunk = AttachmentCipher.sealedChunkSize
    let first = sealed[0 ..< chunk]
    let second = sealed[chunk ..< 2 * chunk]
    var altered = sealed
    altered[altered.startIndex + 100] ^= 1
    let cases: [Data] = [
      sealed.prefix(2 * chunk),  // cut at a chunk boundary: no final chunk
      sealed.prefix(sealed.count - 1),  // the final chunk cut short
      second + first + sealed[(2 * chunk)...],  // two chunks swapped
      sealed + cipher.seal(Data()),  // a final chunk appended
      altered, Data(),
    ]
    for bad in cases {
      #expect(throws: E2EError.self) { try cipher.open(bad) }
    }
    #expect(throws: E2EError.self) { try AttachmentCipher.random().open(sealed) }
    #expect(throws: E2EError.self) { try AttachmentCipher(key: Data(count: 31)) }
  }

  @Test("the key derivation and nonces of the page: a vector")
  func vector() throws {
    // Key 32 bytes 0x01..0x20; the first chunk of "attachment" is the final one (index 0, last 1).
    let key = Data(1 ... 32)
    let cipher = try AttachmentCipher(key: key)
    let derived = KDF.hkdf(ikm: key, salt: Data(count: 32), info: Data("Relay_Attachment_v1".utf8), count: 39)
    let nonce = derived.suffix(7) + Data([0, 0, 0, 0, 1])
    let box = try AES.GCM.seal(
      Data("attachment".utf8), using: SymmetricKey(data: derived.prefix(32)), nonce: AES.GCM.Nonce(data: nonce))
    #expect(cipher.seal(Data("attachment".utf8)) == box.ciphertext + box.tag)
  }
}
