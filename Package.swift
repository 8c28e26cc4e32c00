// swift-tools-version:6.0
import PackageDescription

// Flow: OCI (config.json model) -> PetrelRuntime (bundle -> plan -> execute -> state)
// -> CExecutor (clone3 and the whole child side in C) ; petrel is the runc-compatible CLI.
let package = Package(
    name: "Petrel",
    products: [
        .executable(name: "petrel", targets: ["petrel"]),
        .library(name: "PetrelRuntime", targets: ["PetrelRuntime"]),
        .library(name: "OCI", targets: ["OCI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Pure Codable types of the OCI runtime spec: no Linux calls.
        .target(name: "OCI"),
        // clone3 + the container's init side using raw syscalls only (no malloc after clone),
        // plus the thin wrappers Swift cannot import (variadic calls, macros).
        .target(
            name: "CExecutor",
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-Wall", "-Wextra", "-Wno-unused-parameter"])]
        ),
        // libseccomp compiles linux.seccomp to BPF in the parent; the child only loads it.
        .systemLibrary(name: "CLibseccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .target(name: "PetrelRuntime", dependencies: ["OCI", "CExecutor", "CLibseccomp"]),
        .executableTarget(
            name: "petrel",
            dependencies: [
                "PetrelRuntime", "OCI", "CExecutor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "PetrelRuntimeTests", dependencies: ["PetrelRuntime", "OCI"]),
        // Drives the real petrel binary (PETREL_BIN, default .build/debug/petrel) as root.
        .testTarget(name: "IntegrationTests", dependencies: [], exclude: ["README.md"]),
    ]
)
