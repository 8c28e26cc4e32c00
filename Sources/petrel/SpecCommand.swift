import ArgumentParser
import OCI
import PetrelRuntime

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json into the bundle.")

    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("b"), .long], help: "Bundle directory to write config.json into.")
    var bundle: String = "."
    @Flag(help: "A config for a rootless container.")
    var rootless = false

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            let path = FileSystem.absolute(bundle) + "/config.json"
            if FileSystem.exists(path) { throw RuntimeError("File \(path) exists. Remove it first") }
            let spec = Spec.runcDefault(rootless: rootless)
            let bytes: [UInt8]
            do {
                bytes = Array(try OCIJSON.encoder(pretty: true).encode(spec))
            } catch {
                throw RuntimeError("cannot encode the default spec: \(error)")
            }
            try FileSystem.writeAtomically(path, bytes, mode: 0o666)
        }
    }
}
