import Testing
@testable import petrel

/// runc's command line as engines write it, parsed against Petrel's one set of declarations.
struct ParserTests {
    let parser = Petrel.parser

    func call(_ argv: [String]) throws -> Arguments {
        guard case .call(let arguments) = try parser.parse(argv) else {
            Issue.record("\(argv) is not a call")
            throw UsageError(message: "not a call")
        }
        return arguments
    }

    @Test("global flags before and after the verb, in every spelling runc takes")
    func globals() throws {
        for argv in [["--root", "/r", "--log-format", "json", "state", "c1"],
                     ["--root=/r", "--log-format=json", "state", "c1"],
                     ["state", "--root", "/r", "c1", "--log-format", "json"],
                     ["-root", "/r", "-log-format", "json", "state", "c1"]] {
            let arguments = try call(argv)
            #expect(arguments.verb.name == "state", "\(argv)")
            #expect(arguments.operands == ["c1"], "\(argv)")
            let globals = Globals(arguments)
            #expect(globals.root == "/r" && globals.logFormat == "json", "\(argv)")
        }
        #expect(Globals(try call(["state", "c1"])).root == "/run/petrel")
    }

    @Test("a global flag's value that names a verb is a value, not the verb")
    func valueNamedLikeAVerb() throws {
        let arguments = try call(["--root", "state", "--log", "run", "delete", "c1"])
        #expect(arguments.verb.name == "delete")
        #expect(Globals(arguments).root == "state" && Globals(arguments).log == "run")
    }

    @Test("short flags: alone, together, with the value attached; flags after the operands")
    func shortFlags() throws {
        let exec = try call(["exec", "-dt", "-e", "A=1", "--env=B=2", "-u1000:1000", "c1", "sh"])
        #expect(exec.isSet(ExecFlags.detach) && exec.isSet(ExecFlags.tty))
        #expect(exec.values(ExecFlags.env) == ["A=1", "B=2"])
        #expect(exec.value(ExecFlags.user) == "1000:1000")
        let delete = try call(["delete", "c1", "-f"])
        #expect(delete.isSet(DeleteFlags.force))
        let kill = try call(["kill", "--all=false", "c1", "KILL"])
        #expect(!kill.isSet(KillFlags.all) && kill.operands == ["c1", "KILL"])
    }

    @Test("exec and ps take everything after the id verbatim, flags included")
    func passthrough() throws {
        let exec = try call(["exec", "-t", "c1", "ls", "-la", "--color", "--", "x"])
        #expect(exec.operands == ["c1", "ls", "-la", "--color", "--", "x"])
        let ps = try call(["ps", "c1", "-eo", "pid,comm"])
        #expect(ps.operands == ["c1", "-eo", "pid,comm"])
        let dashes = try call(["exec", "c1", "--", "sh", "-c", "true"])
        #expect(try ExecFlags.request(dashes).args == ["sh", "-c", "true"])
    }

    @Test("values may start with a dash (update's -1)")
    func negativeValues() throws {
        let update = try call(["update", "--cpu-quota", "-1", "--memory", "-1", "c1"])
        #expect(try update.number(UpdateFlags.cpuQuota, as: Int64.self) == -1)
        #expect(try UpdateFlags.patch(update).memory?.limit == -1)
    }

    @Test("defaults come from the declaration")
    func defaults() throws {
        let run = try call(["run", "c1"])
        #expect(run.value(ContainerFlags.bundle) == ".")
        #expect(try run.number(ContainerFlags.preserveFds, as: Int32.self) == 0)
        #expect(try call(["events", "c1"]).value(EventsFlags.interval) == "5s")
    }

    @Test("usage errors name the problem; help, version and unknown verbs are requests")
    func errorsAndRequests() throws {
        for argv in [["state"], ["start", "c1", "extra"], ["delete", "--bogus", "c1"], ["kill"],
                     ["create", "--bundle"], ["list", "--quiet=yes"], ["--debug"]] {
            #expect(throws: UsageError.self, "\(argv)") { try parser.parse(argv) }
        }
        guard case .version = try parser.parse(["-v"]) else { Issue.record("-v"); return }
        guard case .version = try parser.parse(["--root", "/r", "--version"]) else { Issue.record("--version"); return }
        guard case .help(let verb) = try parser.parse(["state", "--help"]), verb?.name == "state" else {
            Issue.record("state --help"); return
        }
        guard case .help(let named) = try parser.parse(["help", "exec"]), named?.name == "exec" else {
            Issue.record("help exec"); return
        }
        guard case .unknownVerb("frobnicate") = try parser.parse(["--root", "/r", "frobnicate"]) else {
            Issue.record("unknown verb"); return
        }
        #expect(throws: UsageError.self) { try call(["run", "--preserve-fds", "x", "c1"]).number(ContainerFlags.preserveFds, as: Int32.self) }
    }

    @Test("--rootless: the global takes a value; after `spec` it is spec's bool flag (runc)")
    func rootlessFlags() throws {
        guard case .call(let global) = try parser.parse(["--rootless", "true", "state", "c1"]) else {
            Issue.record("--rootless true state"); return
        }
        #expect(global.value(GlobalFlags.rootless) == "true")
        guard case .call(let spec) = try parser.parse(["spec", "--rootless"]) else {
            Issue.record("spec --rootless"); return
        }
        #expect(spec.isSet(SpecFlags.rootless))
    }

    @Test("every verb's flags are distinct from each other and from the global flags")
    func declarationsDoNotCollide() {
        for verb in parser.verbs {
            // runc's one deliberate overlap: `spec --rootless` (a bool) shadows the global
            // `--rootless VALUE` after the verb, as in runc; before the verb the global applies.
            let globals = verb.name == "spec" ? parser.globals.filter { $0.name != "rootless" } : parser.globals
            let flags = verb.flags + globals
            let longs = flags.flatMap(\.names)
            #expect(Set(longs).count == longs.count, "\(verb.name): \(longs)")
            let shorts = flags.compactMap(\.short)
            #expect(Set(shorts).count == shorts.count, "\(verb.name): \(shorts)")
            #expect(!shorts.contains("h") && !shorts.contains("v"), "\(verb.name)")
            #expect(!Help.text(for: verb, in: parser, abstract: "").isEmpty)
        }
        #expect(Set(parser.verbs.map(\.name)).count == parser.verbs.count)
    }
}
