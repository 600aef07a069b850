internal import E2E

/// Freshly made one-time prekeys of both kinds, and the id after the last.
struct PrekeyBatch: Sendable {
  var oneTime: [OneTimePrekeyPair]
  var kem: [KemPrekeyPair]
  var nextID: UInt32

  /// `count` keys of each kind, ids from `firstID` up (one id space for all of a device's prekeys).
  init(count: Int, firstID: UInt32, signedBy identity: IdentityKeyPair) {
    var id = firstID
    var oneTime = [OneTimePrekeyPair]()
    var kem = [KemPrekeyPair]()
    for _ in 0 ..< count {
      oneTime.append(OneTimePrekeyPair(id: id))
      kem.append(KemPrekeyPair(id: id + 1, signedBy: identity))
      id += 2
    }
    self.oneTime = oneTime
    self.kem = kem
    self.nextID = id
  }
}
