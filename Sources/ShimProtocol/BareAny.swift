import SwiftProtobuf
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Google_Protobuf_Any {
    /// containerd's Any: the type URL is the bare full message name (containerd.events.TaskExit),
    /// not swift-protobuf's default type.googleapis.com/... form.
    public init<M: SwiftProtobuf.Message>(bare message: M) throws {
        self.init()
        typeURL = M.protoMessageName
        value = try message.serializedData()
    }
}
