import OCI

extension SpecValidator {
    /// The remaining linux fields: personality, memoryPolicy, intelRdt's own values.
    /// Whether resctrl or the LSMs exist is a question for the host, asked at create.
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
        if let rdt = linux.intelRdt {
            if let closID = rdt.closID, !closID.isEmpty,
               closID == "." || closID == ".." || closID.contains("/") || closID.contains("\n") {
                throw context.fail("linux.intelRdt.closID", "invalid group name \(JSONText.quote(closID))")
            }
            if let memBw = rdt.memBwSchema, !memBw.hasPrefix("MB:") || memBw.contains("\n") {
                throw context.fail("linux.intelRdt.memBwSchema", "must be one line starting with MB:, got \(JSONText.quote(memBw))")
            }
        }
    }
}
