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
