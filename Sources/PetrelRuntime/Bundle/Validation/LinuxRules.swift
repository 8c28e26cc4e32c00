import OCI

extension SpecValidator {
    /// The remaining linux fields: personality, memoryPolicy, netDevices' names, intelRdt's
    /// own values. Whether resctrl, the LSMs or a joined network namespace's identity are
    /// as needed is a question for the host, asked at create.
    static func validateLinuxExtras(_ linux: Linux, _ context: Context) throws(RuntimeError) {
        if let personality = linux.personality {
            if let flags = personality.flags, !flags.isEmpty {
                throw context.fail("linux.personality.flags", "no flags are supported, got \(flags.map { JSONText.quote($0.rawValue) }.joined(separator: ", "))")
            }
            guard PlanBuilder.personalityDomains[personality.domain.rawValue] != nil else {
                throw context.fail("linux.personality.domain", "unknown domain \(JSONText.quote(personality.domain.rawValue)) (expected LINUX or LINUX32)")
            }
        }
        if let policy = linux.memoryPolicy {
            do throws(RuntimeError) {
                _ = try MemoryPolicy.plan(policy)
            } catch {
                throw context.prefixed(error)
            }
        }
        try validateNetDevices(linux.netDevices, namespaces: linux.namespaces ?? [], context)
        try validateIntelRdt(linux.intelRdt, context)
    }

    /// The names (the kernel's dev_valid_name) and that a network namespace of the
    /// container's own receives them; NetDevices.plan checks the same for its callers.
    static func validateNetDevices(_ devices: [String: LinuxNetDevice]?, namespaces: [LinuxNamespace],
                                   _ context: Context) throws(RuntimeError) {
        guard let devices, !devices.isEmpty else { return }
        guard namespaces.contains(where: { $0.type == .network }) else {
            throw context.fail("linux.netDevices", "needs a network namespace of the container's own (linux.namespaces has no network entry, the devices would stay on the host)")
        }
        var targets: Set<String> = []
        for hostName in devices.keys.sorted() {
            let field = "linux.netDevices[\(JSONText.quote(hostName))]"
            let containerName = devices[hostName]?.name.flatMap { $0.isEmpty ? nil : $0 } ?? hostName
            do throws(RuntimeError) {
                try NetDevices.validateName(hostName, field: field, template: false)
                try NetDevices.validateName(containerName, field: field + ".name", template: true)
            } catch {
                throw context.prefixed(error)
            }
            if !containerName.contains("%"), !targets.insert(containerName).inserted {
                throw context.fail(field + ".name", "\(JSONText.quote(containerName)) is given to two devices")
            }
        }
    }

    /// The group name and the MB: line; whether resctrl exists is IntelRdt.plan's question.
    static func validateIntelRdt(_ rdt: LinuxIntelRdt?, _ context: Context) throws(RuntimeError) {
        guard let rdt else { return }
        if let closID = rdt.closID, !closID.isEmpty,
           closID == "." || closID == ".." || closID.contains("/") || closID.contains("\n") {
            throw context.fail("linux.intelRdt.closID", "invalid group name \(JSONText.quote(closID))")
        }
        if let memBw = rdt.memBwSchema, !memBw.hasPrefix("MB:") || memBw.contains("\n") {
            throw context.fail("linux.intelRdt.memBwSchema", "must be one line starting with MB:, got \(JSONText.quote(memBw))")
        }
    }
}
