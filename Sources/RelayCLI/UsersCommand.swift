import ArgumentParser
import Foundation
import Relay
internal import RelayCore
internal import Wire

/// `relay users`: the users of this relay's region.
struct UsersCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "users", abstract: "Administer this region's users.",
    subcommands: [MoveUserCommand.self, MovesCommand.self])
}

/// `relay users move USER --to REGION` (docs/regions.md, "Moving a user").
struct MoveUserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "move",
    abstract: "Move a user homed in this region, with its devices and mailboxes, to another region of the domain.")

  @OptionGroup var common: CommonOptions

  @Argument(help: "The user, user@domain.")
  var user: String

  @Option(name: .long, help: "The region to move the user to (one of federation.regions).")
  var to: String

  @Option(name: .long, help: "Seconds to wait for the running relay to hand the user off (0: do not wait).")
  var wait: Int = 60

  func run() async throws {
    do {
      let configuration = try StartupConfiguration.resolve(common: self.common) { _ throws(RelayError) in }
      guard let region = configuration.localRegion else {
        throw RelayError(.failedPrecondition, "this relay is no region: set region.name and federation.regions")
      }
      let user = try RequestValidation.user(self.user, field: "user")
      var move: UserMove?
      try await configuration.withStore { store in
        guard let moves = store as? any MoveStore else {
          throw RelayError(
            .failedPrecondition, "this store cannot move users")
        }
        _ = try await store.migrate()
        move = try await moves.requestMove(
          of: user, to: self.to, region: region, nowMs: HybridLogicalClock.systemMilliseconds())
        print("requested: \(user) moves from \(region.name) to \(self.to) (home version \(move!.version))")
        let deadline = ContinuousClock.now + .seconds(max(0, self.wait))
        while ContinuousClock.now < deadline {
          if let now = try await moves.moves(of: user, limit: 1).first, now.phase != .requested {
            move = now
            break
          }
          try await Task.sleep(for: .milliseconds(200))
        }
      }
      guard let move else { return }
      switch move.phase {
      case .requested:
        print("still requested: the running relay hands it off within a second of starting")
      case .failed:
        throw RelayError(.failedPrecondition, "not moved: \(move.failure)")
      default:
        print("\(move.phase.name): \(user) is homed in \(move.target); its devices are redirected there")
      }
    } catch {
      StartupFailure.exit(error)
    }
  }
}

/// `relay users moves [USER]`: the moves this region took part in.
struct MovesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "moves", abstract: "List the moves this region took part in, newest first.")

  @OptionGroup var common: CommonOptions

  @Argument(help: "Only this user's moves.")
  var user: String?

  func run() async throws {
    do {
      let configuration = try StartupConfiguration.resolve(common: self.common) { _ throws(RelayError) in }
      let user = try self.user.map { (text) throws(RelayError) in try RequestValidation.user(text, field: "user") }
      try await configuration.withStore { store in
        guard let moves = store as? any MoveStore else {
          throw RelayError(
            .failedPrecondition, "this store cannot move users")
        }
        print("USER                            VERSION  FROM  TO    PHASE       NOTE")
        for move in try await moves.moves(of: user, limit: 1000) {
          let cells = [
            move.user.description.padding(toLength: 31, withPad: " ", startingAt: 0),
            String(move.version).padding(toLength: 8, withPad: " ", startingAt: 0),
            move.source.padding(toLength: 5, withPad: " ", startingAt: 0),
            move.target.padding(toLength: 5, withPad: " ", startingAt: 0),
            move.phase.name.padding(toLength: 11, withPad: " ", startingAt: 0),
            move.awaitingMarkers.isEmpty
              ? move.failure : "awaiting markers from \(move.awaitingMarkers.joined(separator: ", "))",
          ]
          print(cells.joined(separator: " "))
        }
      }
    } catch {
      StartupFailure.exit(error)
    }
  }
}
