/// The command line's declarations: every flag, operand and verb is declared once, here and
/// in the verb files, and the parser, the help text and the verbs all read the declaration.
/// (swift-argument-parser built its whole tree by reflection for every call: 8 M user
/// instructions for `--version` and 11-13 M for any verb, against crun's 1.3 M in total.)

/// A flag: `--name VALUE`, `--name=VALUE`, `-n VALUE`, and Go's `-name VALUE` as runc takes it.
struct Flag: Sendable {
    enum Kind: Sendable {
        case bool
        /// One value; given twice, the last one wins (as runc).
        case value
        /// Repeatable; every value is kept in order.
        case values
    }

    /// Long names without the dashes; the first is the one help shows.
    let names: [String]
    let short: Character?
    let kind: Kind
    /// The value's placeholder in help ("DIR"), for value flags.
    let valueName: String
    /// What a value flag means when it is not given (shown in help).
    let defaultValue: String?
    let help: String

    init(_ names: String..., short: Character? = nil, kind: Kind = .value, valueName: String = "VALUE",
         default defaultValue: String? = nil, help: String) {
        self.names = names
        self.short = short
        self.kind = kind
        self.valueName = valueName
        self.defaultValue = defaultValue
        self.help = help
    }

    var name: String { names[0] }
    var takesValue: Bool { kind != .bool }

    func matches(long: String) -> Bool { names.contains(long) }
}

/// A positional argument.
struct Operand: Sendable {
    let name: String
    let help: String
    var optional = false
    /// Takes every argument after the verb's first operand verbatim, flags included
    /// (`exec ID CMD ARGS...`, `ps ID PS-OPTIONS...`), as runc's parser stops at the first operand.
    var rest = false

    static let containerID = Operand(name: "container-id", help: "The container id.")
}

/// A verb and what it takes; `run` gets the parsed call and returns the exit status.
struct Verb: Sendable {
    let name: String
    let abstract: String
    var discussion: String? = nil
    var flags: [Flag] = []
    var operands: [Operand] = []
    let run: @Sendable (Arguments) -> Int32

    var fixedOperands: Int { operands.filter { !$0.optional && !$0.rest }.count }
    var maxOperands: Int? { operands.contains { $0.rest } ? nil : operands.count }
    var takesRest: Bool { operands.contains { $0.rest } }
}

/// A usage error: the message, and the verb whose usage to show.
struct UsageError: Error {
    let message: String
    var verb: Verb?
}

/// A parsed call: the verb, its flags' values and its operands.
struct Arguments {
    let verb: Verb
    var operands: [String] = []
    /// The flags given, in order, as parallel arrays of name and value: a call has a few,
    /// and a dictionary's generic metadata alone costs more than the whole parse.
    private var givenNames: [String] = []
    private var givenValues: [String] = []

    init(verb: Verb) { self.verb = verb }

    mutating func add(_ flag: Flag, _ value: String) {
        givenNames.append(flag.name)
        givenValues.append(value)
    }

    /// A bool flag: given (and not `=false`).
    func isSet(_ flag: Flag) -> Bool {
        guard let last = values(flag).last else { return false }
        return last != "false"
    }

    /// A value flag's last value, else its declared default.
    func value(_ flag: Flag) -> String? { values(flag).last ?? flag.defaultValue }

    /// Every value of a flag, in the order given.
    func values(_ flag: Flag) -> [String] {
        var result: [String] = []
        for index in givenNames.indices where givenNames[index] == flag.name { result.append(givenValues[index]) }
        return result
    }

    /// A value flag as a number; an unparsable value is a usage error naming the flag.
    func number<T: FixedWidthInteger>(_ flag: Flag, as type: T.Type = T.self) throws(UsageError) -> T? {
        guard let text = value(flag) else { return nil }
        guard let number = T(text) else { throw UsageError(message: "invalid value \"\(text)\" for --\(flag.name)", verb: verb) }
        return number
    }

    func numbers<T: FixedWidthInteger>(_ flag: Flag, as type: T.Type = T.self) throws(UsageError) -> [T] {
        var result: [T] = []
        for text in values(flag) {
            guard let number = T(text) else { throw UsageError(message: "invalid value \"\(text)\" for --\(flag.name)", verb: verb) }
            result.append(number)
        }
        return result
    }

    /// The operand at `index` ("" when an optional one is absent).
    func operand(_ index: Int) -> String { index < operands.count ? operands[index] : "" }
}
