import OCI

extension SpecValidator {
    /// config-linux.md "Seccomp": names, errno returns, operators and argument indexes.
    /// Whether libseccomp knows an architecture or a syscall on this host is decided when
    /// the filter is compiled (PlanBuilder, before anything exists).
    static func validateSeccomp(_ seccomp: LinuxSeccomp?, _ context: Context) throws(RuntimeError) {
        guard let seccomp else { return }
        try validateSeccompRules(seccomp, context)
        let usesNotify = (seccomp.syscalls ?? []).contains { $0.action.rawValue == "SCMP_ACT_NOTIFY" }
        if usesNotify && (seccomp.listenerPath ?? "").isEmpty {
            throw context.fail("linux.seccomp.listenerPath", "required when a rule uses SCMP_ACT_NOTIFY")
        }
    }

    /// The filter's own rules; SeccompCompiler checks them too (it is also called directly).
    static func validateSeccompRules(_ seccomp: LinuxSeccomp, _ context: Context) throws(RuntimeError) {
        try validateSeccompAction(seccomp.defaultAction.rawValue, errnoRet: seccomp.defaultErrnoRet,
                                  field: "linux.seccomp.defaultAction", context)
        if seccomp.defaultAction.rawValue == "SCMP_ACT_NOTIFY" {
            throw context.fail("linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
        }
        for (index, flag) in (seccomp.flags ?? []).enumerated() where SeccompCompiler.flags[flag.rawValue] == nil {
            throw context.fail("linux.seccomp.flags[\(index)]", "unknown flag \(JSONText.quote(flag.rawValue))")
        }
        for (index, syscall) in (seccomp.syscalls ?? []).enumerated() {
            let field = "linux.seccomp.syscalls[\(index)]"
            try validateSeccompAction(syscall.action.rawValue, errnoRet: syscall.errnoRet, field: field + ".action", context)
            try validateSeccompArgs(syscall.args ?? [], field: field, context)
        }
    }

    static func validateSeccompAction(_ name: String, errnoRet: UInt?, field: String, _ context: Context) throws(RuntimeError) {
        guard SeccompCompiler.actions[name] != nil else {
            throw context.fail(field, "unknown seccomp action \(JSONText.quote(name))")
        }
        // config-linux.md: "When the action doesn't support an errno, the runtime MUST print and error and fail".
        if let errnoRet, name != "SCMP_ACT_ERRNO", name != "SCMP_ACT_TRACE" {
            throw context.fail(field, "\(name) takes no errno, got errnoRet \(errnoRet)")
        }
    }

    static func validateSeccompArgs(_ args: [LinuxSeccompArg], field: String, _ context: Context) throws(RuntimeError) {
        for (index, arg) in args.enumerated() {
            guard SeccompCompiler.operators[arg.op.rawValue] != nil else {
                throw context.fail("\(field).args[\(index)].op", "unknown operator \(JSONText.quote(arg.op.rawValue))")
            }
            guard arg.index < 6 else {
                throw context.fail("\(field).args[\(index)].index", "\(arg.index) is not a syscall argument (0-5)")
            }
        }
    }
}
