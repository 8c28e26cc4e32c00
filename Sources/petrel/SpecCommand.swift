import OCI
import PetrelRuntime

enum SpecFlags {
    static let bundle = Flag("bundle", short: "b", valueName: "DIR", default: ".", help: "Bundle directory to write config.json into.")
    static let rootless = Flag("rootless", kind: .bool, help: "A config for a rootless container.")
}

extension Verb {
    static let spec = Verb(name: "spec", abstract: "Write a default config.json into the bundle.",
                           flags: [SpecFlags.bundle, SpecFlags.rootless]) { arguments in
        perform(arguments) { _ throws(RuntimeError) in
            let path = FileSystem.absolute(arguments.value(SpecFlags.bundle) ?? ".") + "/config.json"
            if FileSystem.exists(path) { throw RuntimeError("File \(path) exists. Remove it first") }
            let spec = Spec.runcDefault(rootless: arguments.isSet(SpecFlags.rootless))
            let bytes: [UInt8]
            do {
                bytes = try OCIJSON.encode(spec, pretty: true)
            } catch {
                throw RuntimeError("cannot encode the default spec: \(error)")
            }
            try FileSystem.writeAtomically(path, bytes, mode: 0o666)
        }
    }
}
