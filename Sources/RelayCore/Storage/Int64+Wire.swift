/// The one conversion from a wire integer (a client's or a peer's `uint64`)
/// to the signed 64-bit integer both backends store.
///
/// SQLite and PostgreSQL keep cursors, sequence numbers and versions as
/// signed 64-bit integers; `Int64(_:)` traps on anything past `Int64.max`,
/// so a wire value never goes through it. A value out of range is the
/// sender's mistake: `outOfRange`, naming the field, before anything is
/// written.
extension Int64 {
  package init(wire value: UInt64, field: String) throws(RelayError) {
    guard let converted = Int64(exactly: value) else {
      throw RelayError(.outOfRange, "\(field) must be at most \(Int64.max)")
    }
    self = converted
  }
}
