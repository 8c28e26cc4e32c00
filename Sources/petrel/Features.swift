import OCI
import PetrelRuntime

extension Verb {
    static let features = Verb(name: "features", abstract: "Print the runtime-spec features this build supports (JSON).") { arguments in
        perform(arguments) { _ throws(RuntimeError) in
            let report = FeatureReport.current(version: Petrel.version, checkpoint: Criu.availability())
            do {
                let data = try OCIJSON.encode(report, pretty: true)
                writeAll(1, String(decoding: data, as: UTF8.self) + "\n")
            } catch {
                throw RuntimeError("features: cannot encode the report: \(error)")
            }
        }
    }
}
