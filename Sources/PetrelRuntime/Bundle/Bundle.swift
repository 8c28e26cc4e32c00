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
    /// config.json as read: create saves these bytes in the state directory as the config
    /// the container was created from (no re-encoding; they decode to `spec`).
    public var document: [UInt8] = []

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
        let unknown: [String]
        let otherPlatforms: [String]
        do {
            (spec, unknown, otherPlatforms) = try Spec.decodeReportingOtherPlatforms(from: bytes)
        } catch {
            throw RuntimeError("\(configPath): \(error.description)")
        }
        try SpecValidator.validate(spec, configPath: configPath)
        try SpecValidator.validateOtherPlatforms(otherPlatforms, spec: spec, configPath: configPath)
        reportUnknown(unknown, version: spec.ociVersion, configPath: configPath)
        guard let root = spec.root else {
            throw RuntimeError("\(configPath): root: required on Linux (the container's root filesystem)")
        }
        let rootPath = FileSystem.absolute(root.path, relativeTo: path)
        guard stat(rootPath, &info) == 0 else { throw RuntimeError.sys("cannot use root.path", "stat", path: rootPath) }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw RuntimeError("cannot use root.path: \(rootPath) is not a directory")
        }
        return Bundle(path: path, spec: spec, rootfs: try FileSystem.realPath(rootPath), document: bytes)
    }

    /// A newer spec minor may add fields that change what the container is: each one this
    /// build does not know gets a warning (one line per field). Up to the modelled version
    /// unknown fields are ignored as the spec asks (runc does the same), noted at debug level.
    static func reportUnknown(_ unknown: [String], version: String, configPath: String) {
        let newer = OCIVersion.isNewerThanModelled(version)
        for path in unknown {
            if newer {
                Logger.shared.warning("\(configPath): \(path): unknown field of runtime-spec \(version) ignored (petrel knows \(OCIVersion.current))")
            } else {
                Logger.shared.debug("\(configPath): \(path): unknown field ignored")
            }
        }
    }
}
