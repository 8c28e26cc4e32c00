#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import OCI

/// An OCI bundle on disk: config.json plus the root filesystem it names.
public struct Bundle: Sendable {
    /// Absolute path of the bundle directory, as given (lexically cleaned, like runc).
    public var path: String
    public var spec: Spec
    /// Absolute, symlink-free path of root.path.
    public var rootfs: String

    /// Reads and validates `<path>/config.json`. Every failure is one line naming the
    /// path or the JSON field at fault.
    public static func load(_ directory: String) throws(RuntimeError) -> Bundle {
        let path = FileSystem.absolute(directory)
        var info = stat()
        guard stat(path, &info) == 0 else { throw RuntimeError.sys("cannot open bundle", "stat", path: path) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError("cannot open bundle: \(path) is not a directory")
        }
        let configPath = path + "/config.json"
        let bytes = try FileSystem.readDocument(configPath)
        let spec: Spec
        do {
            spec = try Spec.decode(from: Data(bytes))
        } catch {
            throw RuntimeError("\(configPath): \(error.description)")
        }
        try SpecValidator.validate(spec, configPath: configPath)
        guard let root = spec.root else {
            throw RuntimeError("\(configPath): root: required on Linux (the container's root filesystem)")
        }
        let rootPath = FileSystem.absolute(root.path, relativeTo: path)
        guard stat(rootPath, &info) == 0 else { throw RuntimeError.sys("cannot use root.path", "stat", path: rootPath) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError("cannot use root.path: \(rootPath) is not a directory")
        }
        return Bundle(path: path, spec: spec, rootfs: try FileSystem.realPath(rootPath))
    }
}
