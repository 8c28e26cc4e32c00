import ConformanceKit
import Glibc

/// Collects the checker's assertions and prints them, one line each, for the runner:
///   ok NAME - what was seen
///   not ok NAME - expected X, got Y
///   skip NAME - why it cannot be checked here
struct Report {
    private(set) var failures = 0

    mutating func expect(_ name: String, _ condition: Bool, _ message: @autoclosure () -> String) {
        if condition {
            emit("ok \(name) - \(message())")
        } else {
            failures += 1
            emit("not ok \(name) - \(message())")
        }
    }

    /// Passes when `actual == expected`, naming both either way.
    mutating func equal<T: Equatable>(_ name: String, _ what: String, _ actual: T, _ expected: T) {
        expect(name, actual == expected, "\(what): expected \(expected), got \(actual)")
    }

    mutating func fail(_ name: String, _ message: String) {
        failures += 1
        emit("not ok \(name) - \(message)")
    }

    func skip(_ name: String, _ reason: String) {
        emit("skip \(name) - \(reason)")
    }

    private func emit(_ line: String) {
        // Lines are written at once, unbuffered: the container may be killed at any time.
        let text = line.replacing("\n", with: "\\n") + "\n"
        _ = text.withCString { write(1, $0, strlen($0)) }
    }
}
