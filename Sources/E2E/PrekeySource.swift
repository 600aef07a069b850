/// Where a responder finds the private prekeys a prekey message names.
/// The client SDK implements it over its database.
public protocol PrekeySource {
  func signedPrekey(id: UInt32) throws -> SignedPrekeyPair?
  func oneTimePrekey(id: UInt32) throws -> OneTimePrekeyPair?
  /// A one-time or last-resort KEM prekey.
  func kemPrekey(id: UInt32) throws -> KemPrekeyPair?
}
