internal import Foundation
internal import Relay
internal import RelayCore
internal import RelayStoreSQLite
internal import Wire

/// Invite and link codes (a stranger chooses them): a `Register` with the
/// input's two halves as its codes, on a relay whose policy is `invite`,
/// checked and looked up in the embedded store as the relay does.
enum CodesTarget {
  static let target = FuzzTarget(
    name: "codes", summary: "invite and link codes in Register, checked and looked up", seeds: { Self.seeds },
    run: Self.run)

  static func run(_ data: Data) {
    let middle = data.firstIndex(of: 0x0A) ?? data.endIndex
    let invite = String(decoding: data[..<middle], as: UTF8.self)
    let link = String(decoding: data[middle...].dropFirst(), as: UTF8.self)
    guard (try? RequestValidation.code(invite, field: "invite_code")) != nil,
      (try? RequestValidation.code(link, field: "link_code")) != nil
    else { return }
    let fuzz = FuzzStore.shared
    // A second device of alice (a link code) and a new user (an invite code): both refused unless a code matches.
    let registrations = [
      FuzzStore.registration(
        try! DeviceAddress(parsing: "alice@\(FuzzStore.domain)/tablet"), fingerprint: 2, invite: invite,
        link: link.isEmpty ? nil : link),
      FuzzStore.registration(
        try! DeviceAddress(parsing: "carol@\(FuzzStore.domain)/phone"), fingerprint: 3, invite: invite,
        link: link.isEmpty ? nil : link),
    ]
    for registration in registrations {
      _ = blocking { try await fuzz.store.register(registration, nowMs: 3) }
    }
  }

  static var seeds: [Data] {
    ["0123456789abcdef0123456789abcdef\n", "\nfedcba9876543210fedcba9876543210", "invite\nlink"].map { Data($0.utf8) }
  }
}
