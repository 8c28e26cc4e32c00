#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The shim group of a bundle: the pod's sandbox id when CRI set one, else the container id.
public func shimGroup(configJSON: [UInt8], id: String) -> String {
    struct AnnotationsOnly: Decodable { var annotations: [String: String]? }
    let spec = try? JSONDecoder().decode(AnnotationsOnly.self, from: Data(configJSON))
    guard let group = spec?.annotations?[sandboxIDAnnotation], !group.isEmpty else { return id }
    return group
}

/// Whole small file, or nil (no error detail needed: a missing config.json only means no group).
public func readSmallFile(_ path: String, limit: Int = 4 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while out.count <= limit {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { return nil }
        if n == 0 { return out }
        out += chunk[0 ..< n]
    }
    return nil
}
