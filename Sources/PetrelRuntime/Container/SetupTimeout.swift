import CExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The bound on every wait for the container's init during create, exec and start
/// (specs/cli.md, "Timeouts"): PETREL_SETUP_TIMEOUT seconds, default 300.
enum SetupTimeout {
    static let variable = "PETREL_SETUP_TIMEOUT"

    /// Applies PETREL_SETUP_TIMEOUT (a positive number of seconds) to the executor's waits.
    static func configure() {
        guard let raw = getenv(variable), let seconds = Int32(String(cString: raw)), seconds > 0 else { return }
        petrel_set_setup_timeout(seconds)
    }

    static var seconds: Int { Int(petrel_setup_timeout()) }

    /// "timed out after 300s waiting for X (PETREL_SETUP_TIMEOUT sets the bound)"
    static func message(waitingFor what: String) -> String {
        "timed out after \(seconds)s waiting for \(what) (\(variable) sets the bound)"
    }
}
