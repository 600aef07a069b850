internal import Foundation
internal import Relay
internal import RelayCore
internal import RelayStoreSQLite
internal import SwiftProtobuf
internal import Wire

/// A peer's `Replicate` batches (any configured peer can send them): decoded
/// and applied to an embedded store through ``FederationRules``, as the
/// relay applies them: once as from a peer of another domain, once as from
/// another region of the store's own domain (docs/regions.md), and both
/// again on the domain's gateway region, which passes events on.
enum ReplicationTarget {
  static let target = FuzzTarget(
    name: "replication-batch", summary: "a peer's Replicate batches, through FederationRules and apply",
    seeds: { try Self.seeds.map { try $0.serializedBytes() } }, run: Self.run)

  static let rules = FederationRules(
    localDomain: FuzzStore.domain, maxEnvelopeBytes: 1024, maxCopies: 16, maxMembers: 16)
  static let gatewayRules = FederationRules(
    localDomain: FuzzStore.domain, maxEnvelopeBytes: 1024, maxCopies: 16, maxMembers: 16,
    region: LocalRegion(domain: FuzzStore.domain, name: "eu", gateway: "eu"))

  static func run(_ data: Data) {
    guard let batch = try? Relay_V1_ReplicationBatch(serializedBytes: data), batch.events.count <= 16 else { return }
    let fuzz = FuzzStore.shared
    for rules in [Self.rules, Self.gatewayRules] {
      for peer in [FuzzStore.peer, "\(FuzzStore.domain)#us"] {
        _ = blocking { try await fuzz.store.apply(batch.events, from: peer, rules: rules) }
      }
    }
  }

  static var seeds: [Relay_V1_ReplicationBatch] {
    let message = Relay_V1_FederationEvent.with {
      $0.message = .with {
        $0.conversationID = FuzzStore.conversationID
        $0.messageID = "0190a0b0-c0d0-7000-8000-000000000002"
        $0.sender = "bob@\(FuzzStore.peer)/laptop"
        $0.hlc = 1 << 16
        $0.originRelay = FuzzStore.peer
        $0.originSeq = 1
        $0.sentAtMs = 1
        $0.copies = [
          .with {
            $0.device = "alice@\(FuzzStore.domain)/phone"
            $0.ciphertext = Data("sealed".utf8)
          }
        ]
      }
    }
    let receipt = Relay_V1_FederationEvent.with {
      $0.receipt = .with {
        $0.conversationID = FuzzStore.conversationID
        $0.messageID = "0190a0b0-c0d0-7000-8000-000000000001"
        $0.sender = "alice@\(FuzzStore.domain)/phone"
        $0.status = .read
        $0.by = "bob@\(FuzzStore.peer)/laptop"
      }
    }
    let conversation = Relay_V1_FederationEvent.with {
      $0.conversation = .with {
        $0.id = "peer-group"
        $0.kind = .group
        $0.name = "a group"
        $0.homeRelay = FuzzStore.peer
        $0.createdBy = "bob@\(FuzzStore.peer)"
        $0.version = 1
        $0.members = [
          .with { $0.user = "bob@\(FuzzStore.peer)" }, .with { $0.user = "alice@\(FuzzStore.domain)" },
        ]
      }
    }
    let devices = Relay_V1_FederationEvent.with {
      $0.deviceList = .with {
        $0.user = "bob@\(FuzzStore.peer)"
        $0.devices = [.with { $0.device = "bob@\(FuzzStore.peer)/laptop" }]
      }
    }
    let home = Relay_V1_FederationEvent.with {
      $0.homeClaim = .with {
        $0.user = "carol@\(FuzzStore.domain)"
        $0.region = "us"
        $0.claimedHlc = 1 << 16
        $0.version = 1
      }
    }
    let keys = Relay_V1_FederationEvent.with {
      $0.regionDevices = .with {
        $0.user = "carol@\(FuzzStore.domain)"
        $0.fingerprints = [Data(repeating: 7, count: 32)]
      }
    }
    let single: [Relay_V1_ReplicationBatch] = [message, receipt, conversation, devices, home, keys].enumerated().map {
      index, event in
      .with {
        $0.events = [
          .with {
            $0.id = UInt64(index + 1)
            $0.event = event
          }
        ]
      }
    }
    // carol, homed in us, moves to eu in a transfer of two parts; then what
    // reached us for her after the move, ap's marker passed on, and us's own
    // marker (eu is no old home of hers).
    let move: Relay_V1_ReplicationBatch = .with {
      $0.events = [home, Self.firstPart, Self.transfer, Self.forward, Self.forwardedMarker, Self.marker]
        .enumerated().map {
          index, event in
          .with {
            $0.id = UInt64(index + 1)
            $0.event = event
          }
        }
    }
    return single + [move]
  }

  static var transfer: Relay_V1_FederationEvent {
    .with {
      $0.userTransfer = .with {
        $0.claim = .with {
          $0.user = "carol@\(FuzzStore.domain)"
          $0.region = "eu"
          $0.claimedHlc = 1 << 17
          $0.version = 2
          $0.movedFrom = "us"
        }
        $0.part = 1
        $0.parts = 2
        $0.devices = [
          .with {
            $0.deviceID = "phone"
            $0.fingerprint = Data(repeating: 9, count: 32)
            $0.identity = .with {
              $0.signingKey = Data(repeating: 1, count: 32)
              $0.agreementKey = Data(repeating: 2, count: 32)
            }
            $0.signedPrekey = .with {
              $0.publicKey = Data(repeating: 3, count: 32)
              $0.signature = Data(repeating: 4, count: 64)
            }
            $0.kemLastResort = .with {
              $0.publicKey = Data(repeating: 5, count: 1184)
              $0.signature = Data(repeating: 6, count: 64)
            }
            $0.mailboxHead = 1
          }
        ]
        $0.conversations = [
          .with {
            $0.id = "moved-group"
            $0.kind = .group
            $0.homeRelay = "\(FuzzStore.domain)#us"
            $0.createdBy = "carol@\(FuzzStore.domain)"
            $0.version = 1
            $0.members = [.with { $0.user = "carol@\(FuzzStore.domain)" }]
          }
        ]
        $0.messages = [Self.movedMessage(seq: 1)]
        $0.entries = [
          .with {
            $0.deviceID = "phone"
            $0.cursor = 1
            $0.conversationID = "moved-group"
            $0.originRelay = "\(FuzzStore.domain)#us"
            $0.originSeq = 1
          }
        ]
        $0.covers = [
          .with {
            $0.conversationID = "moved-group"
            $0.originRelay = "\(FuzzStore.domain)#us"
            $0.contiguousSeq = 1
          }
        ]
      }
    }
  }

  /// The first of the transfer's two parts: a message of hers only.
  static var firstPart: Relay_V1_FederationEvent {
    .with {
      $0.userTransfer = .with {
        $0.claim = Self.transfer.userTransfer.claim
        $0.part = 0
        $0.parts = 2
        $0.messages = [Self.movedMessage(seq: 3)]
      }
    }
  }

  static var forward: Relay_V1_FederationEvent {
    .with {
      $0.moveForward = .with {
        $0.user = "carol@\(FuzzStore.domain)"
        $0.message = Self.movedMessage(seq: 2)
      }
    }
  }

  static var forwardedMarker: Relay_V1_FederationEvent {
    .with {
      $0.moveForward = .with {
        $0.user = "carol@\(FuzzStore.domain)"
        $0.marker = .with {
          $0.user = "carol@\(FuzzStore.domain)"
          $0.version = 2
          $0.region = "ap"
        }
      }
    }
  }

  static var marker: Relay_V1_FederationEvent {
    .with {
      $0.moveMarker = .with {
        $0.user = "carol@\(FuzzStore.domain)"
        $0.version = 2
        $0.region = "us"
      }
    }
  }

  static func movedMessage(seq: UInt64) -> Relay_V1_ReplicatedMessage {
    .with {
      $0.conversationID = "moved-group"
      $0.messageID = "0190a0b0-c0d0-7000-8000-00000000001\(seq)"
      $0.sender = "carol@\(FuzzStore.domain)/phone"
      $0.hlc = 1 << 16
      $0.originRelay = "\(FuzzStore.domain)#us"
      $0.originSeq = seq
      $0.sentAtMs = 1
      $0.copies = [
        .with {
          $0.device = "carol@\(FuzzStore.domain)/phone"
          $0.ciphertext = Data("sealed".utf8)
        }
      ]
    }
  }
}
