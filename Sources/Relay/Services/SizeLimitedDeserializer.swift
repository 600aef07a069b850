internal import GRPCCore
internal import GRPCProtobuf
internal import RelayCore
internal import SwiftProtobuf
internal import Wire

/// A protobuf deserializer that refuses messages over `maxBytes` with
/// `RESOURCE_EXHAUSTED` before parsing them.
///
/// The transport's own payload cap resets the HTTP/2 stream (the client sees
/// `UNAVAILABLE`), so the relay keeps that cap as a backstop above the
/// configured limit and enforces the limit itself, with a precise status.
struct SizeLimitedDeserializer<Message: SwiftProtobuf.Message>: MessageDeserializer {
  let maxBytes: Int

  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
    guard serializedMessageBytes.count <= self.maxBytes else {
      throw RPCError(
        code: .resourceExhausted,
        message: "message of \(serializedMessageBytes.count) bytes is over the \(self.maxBytes)-byte frame limit")
    }
    return try ProtobufDeserializer<Message>().deserialize(serializedMessageBytes)
  }
}

/// The `Client` service with the frame-size limit applied to the methods that
/// carry bulk bytes (sends, session frames, key uploads, attachment chunks).
struct SizeLimitedClientService: RegistrableRPCService {
  let service: ClientService
  let maxBytes: Int

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    self.service.registerMethods(with: &router)
    let service = self.service
    typealias Method = Relay_V1_Client.Method
    self.limit(Method.Send.descriptor, &router, service.send(request:context:))
    self.limit(Method.Connect.descriptor, &router, service.connect(request:context:))
    self.limit(Method.Register.descriptor, &router, service.register(request:context:))
    self.limit(Method.UploadPrekeys.descriptor, &router, service.uploadPrekeys(request:context:))
    self.limit(Method.UploadChunks.descriptor, &router, service.uploadChunks(request:context:))
  }

  /// Registers `handler` for `method` again, behind the size-limited deserializer.
  private func limit<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message, Transport: ServerTransport>(
    _ method: MethodDescriptor,
    _ router: inout RPCRouter<Transport>,
    _ handler:
      @escaping @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) {
    router.registerHandler(
      forMethod: method,
      deserializer: SizeLimitedDeserializer<Input>(maxBytes: self.maxBytes),
      serializer: ProtobufSerializer<Output>(),
      handler: handler
    )
  }
}
