import OCI

extension SpecValidator {
    /// config.md "Process": what the init runs, as whom, with what limits.
    static func validateProcess(_ process: Process, _ context: Context) throws(RuntimeError) {
        guard let args = process.args, let program = args.first, !program.isEmpty else {
            throw context.fail("process.args", "must name the program to run")
        }
        guard process.cwd.hasPrefix("/") else {
            throw context.fail("process.cwd", "must be an absolute path, got \(JSONText.quote(process.cwd))")
        }
        for (index, variable) in (process.env ?? []).enumerated() where !variable.contains("=") {
            throw context.fail("process.env[\(index)]", "expected KEY=value, got \(JSONText.quote(variable))")
        }
        try validateProcessSettings(process, context)
    }

    /// The fields `create` and `exec` share.
    static func validateProcessSettings(_ process: Process, _ context: Context) throws(RuntimeError) {
        var seen: Set<String> = []
        for (index, limit) in (process.rlimits ?? []).enumerated() {
            guard Rlimits.resources[limit.type] != nil else {
                throw context.fail("process.rlimits[\(index)].type", "unknown rlimit \(JSONText.quote(limit.type))")
            }
            // config.md: duplicated entries with the same type MUST generate an error.
            guard seen.insert(limit.type).inserted else {
                throw context.fail("process.rlimits[\(index)].type", "\(JSONText.quote(limit.type)) is listed twice")
            }
            guard limit.soft <= limit.hard else {
                throw context.fail("process.rlimits[\(index)]", "soft limit \(limit.soft) is above hard limit \(limit.hard)")
            }
        }
        if let score = process.oomScoreAdj, !(-1000...1000).contains(score) {
            throw context.fail("process.oomScoreAdj", "\(score) is outside -1000..1000")
        }
        // scheduler, ioPriority, execCPUAffinity: their rules sit beside their conversions.
        do throws(RuntimeError) {
            try ProcessAttributes.validate(process)
        } catch {
            throw context.prefixed(error)
        }
    }
}
