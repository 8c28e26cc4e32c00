/// Help and usage text, made from the declarations.
enum Help {
    static func text(for verb: Verb?, in parser: Parser, abstract: String) -> String {
        guard let verb else {
            var lines = [abstract, "", "Usage: petrel [global options] <command> [options] [arguments]", "", "Commands:"]
            let width = parser.verbs.map(\.name.count).max() ?? 0
            for verb in parser.verbs {
                lines.append("  " + pad(verb.name, width) + "  " + verb.abstract)
            }
            lines += ["", "Global options:"] + flagLines(parser.globals + [versionFlag, helpFlag])
            lines += ["", "See 'petrel help <command>' for the options of a command."]
            return lines.joined(separator: "\n") + "\n"
        }
        var lines = ["petrel \(verb.name): \(verb.abstract)", "", "Usage: " + usage(verb)]
        if let discussion = verb.discussion { lines += ["", discussion] }
        if !verb.operands.isEmpty {
            lines += ["", "Arguments:"]
            let width = verb.operands.map { $0.name.count + 2 }.max() ?? 0
            for operand in verb.operands {
                lines.append("  " + pad("<\(operand.name)>", width) + "  " + operand.help)
            }
        }
        if !verb.flags.isEmpty { lines += ["", "Options:"] + flagLines(verb.flags + [helpFlag]) }
        lines += ["", "Global options:"] + flagLines(parser.globals)
        return lines.joined(separator: "\n") + "\n"
    }

    static func usage(_ verb: Verb) -> String {
        var words = ["petrel", "[global options]", verb.name]
        if !verb.flags.isEmpty { words.append("[options]") }
        for operand in verb.operands {
            let name = operand.rest ? "<\(operand.name)>..." : "<\(operand.name)>"
            words.append(operand.optional || operand.rest ? "[\(name)]" : name)
        }
        return words.joined(separator: " ")
    }

    private static let versionFlag = Flag("version", short: "v", kind: .bool, help: "Print the version.")
    private static let helpFlag = Flag("help", short: "h", kind: .bool, help: "Show help.")

    private static func flagLines(_ flags: [Flag]) -> [String] {
        let spellings = flags.map { flag -> String in
            var names = flag.short.map { ["-\($0)"] } ?? []
            names += flag.names.map { "--\($0)" }
            return names.joined(separator: ", ") + (flag.takesValue ? " \(flag.valueName)" : "")
        }
        let width = spellings.map(\.count).max() ?? 0
        return zip(flags, spellings).map { flag, spelling in
            var line = "  " + pad(spelling, width) + "  " + flag.help
            if let value = flag.defaultValue { line += " (default: \(value))" }
            if flag.kind == .values { line += " (repeatable)" }
            return line
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }
}
