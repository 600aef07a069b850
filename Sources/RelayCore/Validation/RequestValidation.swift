package import Foundation
package import Wire

/// Parsing and size checks for request fields, each failure an
/// `invalidArgument` that names the field and the rule.
package enum RequestValidation {
  package static func user(_ text: String, field: String) throws(RelayError) -> UserAddress {
    do {
      return try UserAddress(parsing: text)
    } catch {
      throw RelayError(.invalidArgument, "\(field): \(error)")
    }
  }

  package static func device(_ text: String, field: String) throws(RelayError) -> DeviceAddress {
    do {
      return try DeviceAddress(parsing: text)
    } catch {
      throw RelayError(.invalidArgument, "\(field): \(error)")
    }
  }

  package static func messageID(_ text: String) throws(RelayError) -> MessageID {
    do {
      return try MessageID(parsing: text)
    } catch {
      throw RelayError(.invalidArgument, "message_id: \(error)")
    }
  }

  package static func conversationID(_ text: String, field: String = "conversation_id") throws(RelayError) -> String {
    guard !text.isEmpty, text.utf8.count <= 64 else {
      throw RelayError(.invalidArgument, "\(field) must be 1-64 characters")
    }
    return try Self.text(text, field: field, maxBytes: 64)
  }

  /// Free text a client or a peer chose (a name, a code, a page token): at
  /// most `maxBytes` of UTF-8 and no control characters. PostgreSQL refuses
  /// NUL in text, and no field has a use for the others; both backends see
  /// the same rule, so they answer the same `invalidArgument`.
  @discardableResult
  package static func text(_ text: String, field: String, maxBytes: Int) throws(RelayError) -> String {
    guard text.utf8.count <= maxBytes else {
      throw RelayError(.invalidArgument, "\(field) is at most \(maxBytes) bytes")
    }
    guard !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
      throw RelayError(.invalidArgument, "\(field) must not contain control characters")
    }
    return text
  }

  package static func bytes(_ data: Data, _ count: Int, field: String) throws(RelayError) {
    guard data.count == count else { throw RelayError(.invalidArgument, "\(field) must be \(count) bytes") }
  }

  package static func identityKey(_ key: Relay_V1_IdentityKey) throws(RelayError) {
    try Self.bytes(key.signingKey, KeySizes.curve25519PublicKey, field: "identity_key.signing_key")
    try Self.bytes(key.agreementKey, KeySizes.curve25519PublicKey, field: "identity_key.agreement_key")
  }

  package static func signedPrekey(_ key: Relay_V1_SignedPrekey, field: String) throws(RelayError) {
    try Self.bytes(key.publicKey, KeySizes.curve25519PublicKey, field: "\(field).public_key")
    try Self.bytes(key.signature, KeySizes.ed25519Signature, field: "\(field).signature")
  }

  package static func kemPrekey(_ key: Relay_V1_KemPrekey, field: String) throws(RelayError) {
    try Self.bytes(key.publicKey, KeySizes.mlkem768PublicKey, field: "\(field).public_key")
    try Self.bytes(key.signature, KeySizes.ed25519Signature, field: "\(field).signature")
  }

  package static func oneTimePrekeys(
    _ ec: [Relay_V1_OneTimePrekey], _ kem: [Relay_V1_KemPrekey], limit: Int
  ) throws(RelayError) {
    guard ec.count <= limit, kem.count <= limit else {
      throw RelayError(.resourceExhausted, "at most \(limit) one-time prekeys of each kind per upload")
    }
    for (index, key) in ec.enumerated() {
      try Self.bytes(key.publicKey, KeySizes.curve25519PublicKey, field: "one_time_prekeys[\(index)].public_key")
    }
    for (index, key) in kem.enumerated() { try Self.kemPrekey(key, field: "one_time_kem_prekeys[\(index)]") }
    guard Set(ec.map(\.keyID)).count == ec.count, Set(kem.map(\.keyID)).count == kem.count else {
      throw RelayError(.invalidArgument, "one-time prekey ids must be unique within an upload")
    }
  }

  /// An invite or link code.
  package static func code(_ code: String, field: String) throws(RelayError) -> String {
    try Self.text(code, field: field, maxBytes: 128)
  }

  package static func pageToken(_ token: String) throws(RelayError) -> String {
    try Self.text(token, field: "page_token", maxBytes: 256)
  }

  /// A page size: 0 means `defaultSize`; anything above `max` is capped.
  package static func pageSize(_ requested: UInt32, default defaultSize: Int, max: Int) -> Int {
    requested == 0 ? defaultSize : Swift.min(Int(requested), max)
  }
}
