// swift-tools-version:6.1
import PackageDescription

// The petrel binary's own modules: no implicit _StringProcessing (its regex engine is ~0.8 MB
// of code; `includes(_:)` in PetrelRuntime/Support does substring search), and -Osize in
// release. See specs/binary-size.md.
let leanSwift: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"]),
    .unsafeFlags(["-Osize"], .when(configuration: .release)),
    // Concrete generic types through accessor functions instead of mangled names: resolving
    // a mangled name at run time looks up conformances by scanning every conformance record
    // of the static binary (issue 15).
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"]),
]
// Release link of petrel: lld (from the Swift toolchain) with R and RX in one segment (fewer
// page faults at start), safe identical-code folding, and no .eh_frame (nothing in petrel
// unwinds: Swift errors are returns, no threads, no C++ catch). See specs/binary-size.md.
let packageDirectory = String(#filePath.dropLast("/Package.swift".count))
let leanLink: [LinkerSetting] = [
    .unsafeFlags([
        "-use-ld=lld", "-Xlinker", "--no-rosegment", "-Xlinker", "--icf=safe",
        "-Xlinker", "-T", "-Xlinker", packageDirectory + "/Sources/petrel/link/discard-eh-frame.ld",
    ], .when(configuration: .release)),
]

// Flow: OCI (config.json model) -> PetrelRuntime (bundle -> plan -> execute -> state)
// -> CExecutor (clone3 and the whole child side in C) ; petrel is the runc-compatible CLI.
let package = Package(
    name: "Petrel",
    products: [
        .executable(name: "petrel", targets: ["petrel"]),
        .library(name: "PetrelRuntime", targets: ["PetrelRuntime"]),
        .library(name: "OCI", targets: ["OCI"]),
        .executable(name: "containerd-shim-petrel-v2", targets: ["containerd-shim-petrel-v2"]),
    ],
    dependencies: [
        // Only the shim targets link it (ShimProtocol, TTRPC, the shim binary); petrel stays free of it.
        // No default traits: BinaryDelimitedStreams imports all of Foundation (and ICU's data),
        // which tripled the idle shim's resident binary pages.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0", traits: []),
    ],
    targets: [
        // Pure Codable types of the OCI runtime spec: no Linux calls.
        // leanSwift's metadata accessors matter most here: KeyedDecodingContainer<X.CodingKeys>
        // in every init(from:) cost ~1 M instructions per config.json decode by mangled name.
        .target(name: "OCI", swiftSettings: leanSwift),
        // clone3 + the container's init side using raw syscalls only (no malloc after clone),
        // plus the thin wrappers Swift cannot import (variadic calls, macros).
        .target(
            name: "CExecutor",
            cSettings: [.define("_GNU_SOURCE"), .unsafeFlags(["-Wall", "-Wextra", "-Wno-unused-parameter"])]
        ),
        // libseccomp compiles linux.seccomp to BPF in the parent; the child only loads it.
        .systemLibrary(name: "CLibseccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        // libcap names capabilities and tells the kernel's last one, in the parent only.
        .systemLibrary(name: "CLibcap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .target(name: "PetrelRuntime", dependencies: ["OCI", "CExecutor", "CLibseccomp", "CLibcap"], swiftSettings: leanSwift),
        .executableTarget(
            name: "petrel",
            dependencies: [
                "PetrelRuntime", "OCI", "CExecutor",
            ],
            exclude: ["link"],
            swiftSettings: leanSwift,
            linkerSettings: leanLink
        ),
        // The containerd shim: protobuf messages (generated from specs/proto by scripts/gen-proto),
        // a single-threaded ttrpc server/client on epoll, and the shim binary.
        .target(
            name: "ShimProtocol",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(name: "CShim", cSettings: [.define("_GNU_SOURCE")]),
        .target(
            name: "TTRPC",
            dependencies: ["ShimProtocol", "CShim", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "Shim",
            dependencies: ["TTRPC", "ShimProtocol", "CShim", "PetrelRuntime", "OCI", "CExecutor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .executableTarget(
            name: "containerd-shim-petrel-v2",
            dependencies: ["Shim", "TTRPC", "ShimProtocol", "CShim", "PetrelRuntime", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(
            name: "ShimTests",
            dependencies: ["Shim", "TTRPC", "ShimProtocol", "CShim", "PetrelRuntime", "OCI", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "PetrelRuntimeTests", dependencies: ["PetrelRuntime", "OCI"]),
        // The command line's parser and declarations, without running a verb.
        .testTarget(name: "CommandLineTests", dependencies: ["petrel"]),
        // Drives the real petrel binary (PETREL_BIN, default .build/debug/petrel) as root.
        .testTarget(name: "IntegrationTests", dependencies: [], exclude: ["README.md"]),
    ]
)
