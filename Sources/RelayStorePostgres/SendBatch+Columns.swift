internal import Foundation
internal import NIOCore
internal import PostgresNIO
internal import RelayCore
internal import Wire

extension SendBatch {
  /// The rows of one table for a batch, as one array per column.
  enum Columns {
    /// `messages` rows (local sends: the origin is this relay).
    struct Messages {
      private var conversations = [String](), seqs = [Int64](), messageIDs = [String](), senderUsers = [String]()
      private var senderDevices = [String](), hlcs = [Int64](), originRelays = [String](), originSeqs = [Int64]()
      private var sentAts = [Int64]()

      var isEmpty: Bool { self.seqs.isEmpty }

      mutating func append(_ send: SendCommand, seq: Int64, originSeq: Int64, _ placed: PlacedMessage) {
        self.conversations.append(send.conversationID)
        self.seqs.append(seq)
        self.messageIDs.append(send.messageID.text)
        self.senderUsers.append(send.sender.user.description)
        self.senderDevices.append(send.sender.deviceID)
        self.hlcs.append(Int64(bitPattern: placed.hlc))
        self.originRelays.append(send.originRelay)
        self.originSeqs.append(originSeq)
        self.sentAts.append(placed.sentAtMs)
      }

      func insert(_ db: PostgresConnection) async throws {
        try await db.run(
          """
          INSERT INTO messages (conversation_id, seq, message_id, sender_user, sender_device, hlc, origin_relay,
            origin_seq, sent_at_ms)
          SELECT * FROM unnest(\(self.conversations)::text[], \(self.seqs)::bigint[], \(self.messageIDs)::text[],
            \(self.senderUsers)::text[], \(self.senderDevices)::text[], \(self.hlcs)::bigint[],
            \(self.originRelays)::text[], \(self.originSeqs)::bigint[], \(self.sentAts)::bigint[])
          """)
      }
    }

    /// `copies` rows: one sealed ciphertext per recipient device.
    struct Copies {
      private var conversations = [String](), seqs = [Int64](), users = [String](), devices = [String]()
      private var ciphertexts = [ByteBuffer]()

      mutating func append(_ copy: SendCommand.Copy, conversation: String, seq: Int64) {
        self.conversations.append(conversation)
        self.seqs.append(seq)
        self.users.append(copy.device.user.description)
        self.devices.append(copy.device.deviceID)
        self.ciphertexts.append(ByteBuffer(bytes: copy.ciphertext))
      }

      func insert(_ db: PostgresConnection) async throws {
        guard !self.seqs.isEmpty else { return }
        try await db.run(
          """
          INSERT INTO copies (conversation_id, seq, recipient_user, recipient_device, ciphertext)
          SELECT * FROM unnest(\(self.conversations)::text[], \(self.seqs)::bigint[], \(self.users)::text[],
            \(self.devices)::text[], \(self.ciphertexts)::bytea[])
          """)
      }
    }

    /// `held_copies` rows: copies kept out of a moved user's mailboxes until a marker comes.
    struct Holds {
      private var users = [String](), devices = [String](), conversations = [String](), seqs = [Int64]()

      mutating func append(_ device: DeviceAddress, _ conversation: String, _ seq: Int64) {
        self.users.append(device.user.description)
        self.devices.append(device.deviceID)
        self.conversations.append(conversation)
        self.seqs.append(seq)
      }

      func insert(_ db: PostgresConnection, region: String) async throws {
        guard !self.seqs.isEmpty else { return }
        try await db.run(
          """
          INSERT INTO held_copies (user_address, region, device_id, conversation_id, seq)
          SELECT u, \(region), d, c, s
          FROM unnest(\(self.users)::text[], \(self.devices)::text[], \(self.conversations)::text[], \(self.seqs)::bigint[])
            AS t(u, d, c, s)
          """)
      }
    }
  }
}
