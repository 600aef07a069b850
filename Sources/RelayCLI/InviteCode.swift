/// Invite codes: 20 characters of an unambiguous alphabet (about 100 bits).
enum InviteCode {
  static let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")

  static func make() -> String {
    var generator = SystemRandomNumberGenerator()
    return String((0 ..< 20).map { _ in alphabet[Int.random(in: 0 ..< alphabet.count, using: &generator)] })
  }
}
