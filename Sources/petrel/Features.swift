import ArgumentParser
import OCI
import PetrelRuntime
#if canImport(Glibc)
import Glibc
#endif

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features", abstract: "Print the runtime-spec features this build supports (JSON).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform(global) { () throws(RuntimeError) in
            let report = FeatureReport.current(version: Petrel.version)
            do {
                let data = try OCIJSON.encode(report, pretty: true)
                print(String(decoding: data, as: UTF8.self))
            } catch {
                throw RuntimeError("features: cannot encode the report: \(error)")
            }
        }
    }
}
