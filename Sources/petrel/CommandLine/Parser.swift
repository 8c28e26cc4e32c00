/// What a command line asks for.
enum Request {
    case call(Arguments)
    case version
    /// Help for a verb, or for petrel itself.
    case help(Verb?)
    case unknownVerb(String)
}

/// Parses runc's command line against the declarations: global flags before or after the
/// verb, the verb's own flags anywhere before its operands end, `--` ending the flags.
struct Parser {
    let verbs: [Verb]
    let globals: [Flag]

    func verb(named name: String) -> Verb? { verbs.first { $0.name == name } }

    func parse(_ argv: [String]) throws(UsageError) -> Request {
        var call: Arguments?
        var index = 0
        var pendingGlobals: [(Flag, String)] = []
        var flagsEnded = false
        while index < argv.count {
            let argument = argv[index]
            index += 1
            let passthrough = call.map { $0.verb.takesRest && !$0.operands.isEmpty } ?? false
            if !flagsEnded && !passthrough && argument == "--" {
                flagsEnded = true
                continue
            }
            if flagsEnded || passthrough || !argument.hasPrefix("-") || argument == "-" {
                if var current = call {
                    current.operands.append(argument)
                    call = current
                    continue
                }
                if argument == "help" {
                    guard index < argv.count else { return .help(nil) }
                    guard let verb = verb(named: argv[index]) else { return .unknownVerb(argv[index]) }
                    return .help(verb)
                }
                guard let verb = verb(named: argument) else { return .unknownVerb(argument) }
                var arguments = Arguments(verb: verb)
                for (flag, value) in pendingGlobals { arguments.add(flag, value) }
                call = arguments
                continue
            }
            if argument == "-h" || argument == "--help" { return .help(call?.verb) }
            if call == nil && (argument == "-v" || argument == "--version") { return .version }
            let flags = (call?.verb.flags ?? []) + globals
            for (flag, value) in try resolve(argument, in: flags, verb: call?.verb, next: { () -> String? in
                guard index < argv.count else { return nil }
                index += 1
                return argv[index - 1]
            }) {
                if call != nil { call?.add(flag, value) } else { pendingGlobals.append((flag, value)) }
            }
        }
        guard let call else {
            if pendingGlobals.isEmpty { return .help(nil) }
            throw UsageError(message: "no command given (see petrel --help)")
        }
        let verb = call.verb
        if call.operands.count < verb.fixedOperands || verb.maxOperands.map({ call.operands.count > $0 }) == true {
            let expected = verb.fixedOperands == (verb.maxOperands ?? -1)
                ? "exactly \(verb.fixedOperands)"
                : verb.maxOperands.map { "\(verb.fixedOperands) to \($0)" } ?? "at least \(verb.fixedOperands)"
            throw UsageError(message: "\"\(verb.name)\" requires \(expected) argument(s), got \(call.operands.count)", verb: verb)
        }
        return .call(call)
    }

    /// One flag argument (possibly `-abc`, three bool flags) to its flags and values.
    private func resolve(_ argument: String, in flags: [Flag], verb: Verb?,
                         next: () -> String?) throws(UsageError) -> [(Flag, String)] {
        var name = argument.drop { $0 == "-" }
        var inline: String?
        if let equals = name.firstIndex(of: "=") {
            inline = String(name[name.index(after: equals)...])
            name = name[..<equals]
        }
        let doubleDash = argument.hasPrefix("--")
        var flag = flags.first { $0.matches(long: String(name)) && (doubleDash || name.count > 1) }
        if flag == nil && !doubleDash && name.count == 1 { flag = flags.first { $0.short == name.first } }
        if let flag {
            switch flag.kind {
            case .bool:
                guard inline == nil || inline == "true" || inline == "false" else {
                    throw UsageError(message: "flag \(argument) takes no value", verb: verb)
                }
                return [(flag, inline ?? "true")]
            case .value, .values:
                guard let value = inline ?? next() else {
                    throw UsageError(message: "flag needs an argument: \(argument)", verb: verb)
                }
                return [(flag, value)]
            }
        }
        // -dt: short bool flags together; -bDIR: a short value flag with its value attached.
        if !doubleDash && inline == nil && name.count > 1, let first = flags.first(where: { $0.short == name.first }) {
            if first.takesValue { return [(first, String(name.dropFirst()))] }
            var result: [(Flag, String)] = []
            for character in name {
                guard let flag = flags.first(where: { $0.short == character }), !flag.takesValue else {
                    throw UsageError(message: "flag provided but not defined: \(argument)", verb: verb)
                }
                result.append((flag, "true"))
            }
            return result
        }
        throw UsageError(message: "flag provided but not defined: \(argument)", verb: verb)
    }
}
