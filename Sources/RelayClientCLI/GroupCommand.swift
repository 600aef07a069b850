import ArgumentParser
import Foundation
import RelaySDK
import Wire

struct GroupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "group", abstract: "Create and manage group conversations.",
    subcommands: [Create.self, Add.self, Remove.self, List.self])

  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a group; prints its conversation id.")
    @OptionGroup var home: HomeOption
    @Argument(help: "The group's name.") var name: String
    @Argument(help: "The other members, name@domain.") var members: [String] = []

    func run() async throws {
      await reporting {
        let group = try await self.home.withDevice { try await $0.createGroup(name: self.name, members: self.members) }
        say(group.id)
      }
    }
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add members to a group (admins only).")
    @OptionGroup var home: HomeOption
    @Argument(help: "The conversation id.") var conversation: String
    @Argument(help: "Users to add, name@domain.") var users: [String]

    func run() async throws {
      await reporting {
        let group = try await self.home.withDevice { try await $0.addMembers(self.users, to: self.conversation) }
        say("members: \(group.members.map(\.user).joined(separator: ", "))")
      }
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a member (admins; anyone may remove themselves).")
    @OptionGroup var home: HomeOption
    @Argument(help: "The conversation id.") var conversation: String
    @Argument(help: "The user to remove.") var user: String

    func run() async throws {
      await reporting {
        let group = try await self.home.withDevice { try await $0.removeMember(self.user, from: self.conversation) }
        say("members: \(group.members.map(\.user).joined(separator: ", "))")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List this user's conversations.")
    @OptionGroup var home: HomeOption

    func run() async throws {
      await reporting {
        for conversation in try await self.home.withDevice({ try await $0.conversations() }) {
          let kind = conversation.kind == .group ? "group \"\(conversation.name)\"" : "direct"
          let members = conversation.members.map(\.user).joined(separator: ", ")
          say("\(conversation.id)  \(kind)  \(members)  unread: \(conversation.unreadCount)")
        }
      }
    }
  }
}
