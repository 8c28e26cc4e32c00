import OCI

extension SpecValidator {
    /// config-linux.md "Devices": the nodes created in the container.
    static func validateDevices(_ linux: Linux, _ context: Context) throws(RuntimeError) {
        for (index, device) in (linux.devices ?? []).enumerated() {
            let field = "linux.devices[\(index)]"
            // config-linux.md: "The path MAY be anywhere in the container filesystem, notably outside of /dev".
            guard device.path.hasPrefix("/"), FileSystem.clean(device.path) != "/" else {
                throw context.fail("\(field).path", "must be an absolute file path, got \(JSONText.quote(device.path))")
            }
            guard let typeBits = PlanBuilder.deviceTypeBits[device.type] else {
                throw context.fail("\(field).type", "unknown device type \(JSONText.quote(device.type)) (expected c, b, u or p)")
            }
            if typeBits != PlanBuilder.fifoTypeBits && (device.major == nil || device.minor == nil) {
                throw context.fail(field, "major and minor are required for type \(JSONText.quote(device.type))")
            }
            let range = 0...Int64(UInt32.max)
            guard range.contains(device.major ?? 0), range.contains(device.minor ?? 0) else {
                throw context.fail(field, "major/minor out of range")
            }
        }
    }
}
