import PetrelRuntime
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// A task-service failure: the ttrpc code containerd maps to its errdefs (NotFound,
/// AlreadyExists, FailedPrecondition, ...) and a message naming what failed and where.
public struct ShimError: Error, CustomStringConvertible {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A failed system call, worded as the runtime words them (Go's errno text).
    static func sys(_ syscall: String, _ path: String, errno: Int32 = Glibc.errno) -> ShimError {
        ShimError(.internal, RuntimeError("shim", syscall: syscall, path: path, errno: errno).description)
    }

    /// The runtime's own message, under the code containerd expects for the operation.
    static func runtime(_ error: RuntimeError, _ code: Code = .unknown) -> ShimError {
        ShimError(code, error.description)
    }

    public var ttrpc: TTRPCError { TTRPCError(code, message) }
    public var description: String { message }
}
