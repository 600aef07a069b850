import Foundation
import RelaySDK
import Synchronization
import Testing

/// A registered device's home directory, for the SDK tests.
struct Home: Sendable {
  let path: String
  let address: String

  static func register(
    _ user: String, _ device: String, on relay: ServedRelay, link: Home? = nil,
    configuration: RelayDevice.Configuration = .defaults
  ) async throws -> Home {
    let path = makeTemporaryDirectory() + "/" + device
    var code: String?
    if let link { code = try await link.open { try await $0.linkCode().code } }
    let registration = try await RelayDevice.register(
      home: path, user: user, deviceID: device, server: relay.server, link: code,
      configuration: configuration.patient)
    return Home(path: path, address: registration.device)
  }

  func open<T: Sendable>(
    configuration: RelayDevice.Configuration = .defaults, _ body: (RelayDevice) async throws -> T
  ) async throws -> T {
    try await RelayDevice.withDevice(home: self.path, configuration: configuration.patient, body)
  }

  /// Connects, and collects events until `until` says enough (or fails after `timeout`).
  func collect(
    timeout: Duration = .seconds(30),
    during: @escaping @Sendable (RelayDevice, LiveSession) async throws -> Void = { _, _ in },
    until done: @escaping @Sendable ([ClientEvent]) -> Bool
  ) async throws -> [ClientEvent] {
    // What came before a timeout, to say so.
    let seen = Seen()
    return try await self.open { device in
      try await device.connect { session in
        try await withThrowingTaskGroup(of: [ClientEvent]?.self) { group in
          group.addTask {
            var events = [ClientEvent]()
            for await event in session.events {
              events.append(event)
              if case .message(let message) = event { seen.texts.withLock { $0.append(message.text) } }
              if done(events) { return events }
            }
            return events
          }
          group.addTask {
            try await during(device, session)
            try await Task.sleep(until: Patience.deadline(after: timeout))
            return nil
          }
          let first = try await group.next()!
          group.cancelAll()
          guard let events = first else {
            throw TimedOut(what: "events at \(self.address) (messages so far: \(seen.texts.withLock { $0 }))")
          }
          return events
        }
      }
    }
  }

  /// Comes online, says it is typing in `conversation`, stays a moment and
  /// goes offline again: what a subscriber sees as online, typing, offline.
  func appearTyping(in conversation: String) async throws {
    try await self.open { device in
      try await device.connect { session in
        for await event in session.events where event == .connection(.connected) { break }
        session.typing(in: conversation)
        try await Task.sleep(for: .milliseconds(300))
      }
    }
  }

  /// Connects until `count` messages arrived; their texts.
  func receive(_ count: Int) async throws -> [String] {
    let events = try await self.collect { $0.messages.count >= count }
    return events.messages.map(\.text)
  }
}

/// The texts a collecting session has seen, shared with the task that times it out.
private final class Seen: Sendable {
  let texts = Mutex([String]())
}

extension [ClientEvent] {
  var messages: [StoredMessage] {
    self.compactMap { if case .message(let message) = $0 { message } else { nil } }
  }

  func receipts(_ status: MessageStatus) -> [String] {
    self.compactMap { event in
      if case .receipt(let id, _, let got, _) = event, got == status { id } else { nil }
    }
  }
}

extension RelayDevice.Configuration {
  /// The same, with its call timeout scaled by ``Patience``.
  var patient: Self {
    var configuration = self
    configuration.callTimeout = configuration.callTimeout * Patience.scale
    return configuration
  }
}
