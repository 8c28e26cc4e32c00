// swift-tools-version:6.0
import PackageDescription

// Petrel's conformance suite for any runc-compatible OCI runtime (RUNTIME=/path).
// oci-conformance drives the runtime's command line; oci-check runs inside each container
// and compares what it sees with the config.json it was started from.
// Both are built with -Xswiftc -static-executable (conformance/run), so oci-check can be
// copied into a busybox rootfs and run with no shared libraries.
let package = Package(
    name: "PetrelConformance",
    targets: [
        // JSON values and small helpers shared by the runner and the checker.
        .target(name: "ConformanceKit"),
        // libcap names the capabilities (cap_from_name, cap_to_name); libcap-dev ships the
        // libcap.a the static oci-check links.
        .systemLibrary(name: "CLibcap", providers: [.apt(["libcap-dev"])]),
        .executableTarget(name: "oci-check", dependencies: ["ConformanceKit", "CLibcap"]),
        .executableTarget(name: "oci-conformance", dependencies: ["ConformanceKit"]),
    ]
)
