internal import Crypto
internal import Foundation

/// AES-256-GCM under a message key's derived key and nonce (``KDF/messageKeys(_:)``).
enum MessageCipher {
  static let tagSize = 16

  static func seal(_ plaintext: Data, messageKey: Data, associatedData: Data) throws(E2EError) -> Data {
    let (key, nonce) = KDF.messageKeys(messageKey)
    do {
      let box = try AES.GCM.seal(
        plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: associatedData)
      return box.ciphertext + box.tag
    } catch {
      throw E2EError(code: .malformed, message: "AES-GCM refused to seal", cause: error)
    }
  }

  static func open(_ sealed: Data, messageKey: Data, associatedData: Data) throws(E2EError) -> Data {
    guard sealed.count >= tagSize else {
      throw E2EError(code: .malformed, message: "a ciphertext is shorter than its 16-byte tag")
    }
    let (key, nonce) = KDF.messageKeys(messageKey)
    do {
      let box = try AES.GCM.SealedBox(
        nonce: AES.GCM.Nonce(data: nonce), ciphertext: sealed.dropLast(tagSize), tag: sealed.suffix(tagSize))
      return try AES.GCM.open(box, using: key, authenticating: associatedData)
    } catch {
      throw E2EError(code: .decryptionFailed, message: "the message does not authenticate", cause: error)
    }
  }
}
