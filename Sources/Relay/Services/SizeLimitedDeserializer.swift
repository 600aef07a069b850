internal import GRPCCore
internal import GRPCProtobuf
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
/// carry bulk bytes (sends, session frames, key uploads).
struct SizeLimitedClientService: RegistrableRPCService {
  let service: ClientService
  let maxBytes: Int

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    self.service.registerMethods(with: &router)
    let service = self.service
    typealias Method = Relay_V1_Client.Method
    router.registerHandler(
      forMethod: Method.Send.descriptor,
      deserializer: SizeLimitedDeserializer<Method.Send.Input>(maxBytes: self.maxBytes),
      serializer: ProtobufSerializer<Method.Send.Output>()
    ) { request, context in try await service.send(request: request, context: context) }
    router.registerHandler(
      forMethod: Method.Connect.descriptor,
      deserializer: SizeLimitedDeserializer<Method.Connect.Input>(maxBytes: self.maxBytes),
      serializer: ProtobufSerializer<Method.Connect.Output>()
    ) { request, context in try await service.connect(request: request, context: context) }
    router.registerHandler(
      forMethod: Method.Register.descriptor,
      deserializer: SizeLimitedDeserializer<Method.Register.Input>(maxBytes: self.maxBytes),
      serializer: ProtobufSerializer<Method.Register.Output>()
    ) { request, context in try await service.register(request: request, context: context) }
    router.registerHandler(
      forMethod: Method.UploadPrekeys.descriptor,
      deserializer: SizeLimitedDeserializer<Method.UploadPrekeys.Input>(maxBytes: self.maxBytes),
      serializer: ProtobufSerializer<Method.UploadPrekeys.Output>()
    ) { request, context in try await service.uploadPrekeys(request: request, context: context) }
  }
}
