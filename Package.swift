// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berth", targets: ["berth"]),
        .executable(name: "berthd", targets: ["berthd"]),
        .executable(name: "berth-shim", targets: ["berth-shim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Thin C: syscalls Swift's Glibc cannot express (openat2, xattrs on O_PATH fds, ...).
        .target(name: "CBerthSys"),
        // Debian's libarchive-dev, for tar/gzip/zstd.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        // Debian's libseccomp-dev, for the seccomp filter.
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .target(name: "BerthOCI", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The Dockerfile front end: parser, variable expansion, .dockerignore, repo2docker recipes.
        .target(name: "BerthDockerfile", dependencies: ["BerthOCI"]),
        // Compose files: discovery, .env and interpolation, merge, the typed model, the requests `up` sends. No engine
        // dependency. YAML through libyaml's event API as Yams bundles it (its CYaml module), not Yams's composer.
        .target(name: "BerthCompose", dependencies: ["BerthOCI", .product(name: "Yams", package: "Yams")]),
        .target(name: "BerthArchive", dependencies: ["CArchive", "CBerthSys", "BerthOCI"]),
        .target(name: "BerthStore", dependencies: ["BerthOCI", "BerthArchive", "CBerthSys"]),
        .target(name: "BerthRuntime", dependencies: ["CBerthSys", "CSeccomp"]),
        // Bridges, veth pairs and addresses over rtnetlink; IPAM; NAT and published ports.
        .target(name: "BerthNetwork", dependencies: ["CBerthSys"]),
        // The distribution client: registries over HTTPS (system trust store) or, for insecure ones, HTTP.
        .target(name: "BerthRegistry", dependencies: [
            "BerthOCI", "BerthStore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // Debian's libcrypt-dev (libxcrypt), for bcrypt htpasswd entries.
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        // berth's own registry: the OCI distribution API over the BerthAPI transport, on TCP with optional TLS.
        .target(name: "BerthRegistryServer", dependencies: [
            "BerthAPI", "BerthOCI", "BerthStore", "CCrypt",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
        .target(name: "BerthEngine", dependencies: [
            "BerthDockerfile", "BerthOCI", "BerthArchive", "BerthStore", "BerthRegistry", "BerthRuntime", "BerthNetwork", "CBerthSys",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "BerthAPI", dependencies: [
            "BerthEngine", "BerthNetwork", "BerthOCI", "BerthRegistry", "BerthRuntime",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "berthd", dependencies: [
            "BerthAPI", "BerthEngine", "BerthNetwork", "BerthRegistry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "BerthCLI", dependencies: [
            "BerthAPI", "BerthOCI", "BerthArchive", "BerthRegistryServer", "BerthDockerfile", "BerthCompose",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "berth", dependencies: ["BerthCLI"]),
        .executableTarget(name: "berth-shim", dependencies: ["BerthRuntime"]),
        // Fuzz targets (scripts/fuzz builds them with libFuzzer; plainly built, a corpus replayer).
        .executableTarget(name: "berth-fuzz", dependencies: ["BerthOCI", "BerthArchive", "BerthDockerfile", "BerthCompose"], path: "fuzz/harness"),
        .testTarget(name: "BerthOCITests", dependencies: ["BerthOCI"]),
        .testTarget(name: "BerthDockerfileTests", dependencies: ["BerthDockerfile"]),
        .testTarget(name: "BerthComposeTests", dependencies: ["BerthCompose"]),
        .testTarget(name: "BerthArchiveTests", dependencies: ["BerthArchive"]),
        .testTarget(name: "BerthStoreTests", dependencies: ["BerthStore"]),
        .testTarget(name: "BerthRuntimeTests", dependencies: ["BerthRuntime"]),
        .testTarget(name: "BerthNetworkTests", dependencies: ["BerthNetwork"]),
        .testTarget(name: "BerthEngineTests", dependencies: ["BerthEngine"]),
        .testTarget(name: "BerthRegistryTests", dependencies: ["BerthRegistry", "BerthStore", "BerthOCI",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio")]),
        .testTarget(name: "BerthAPITests", dependencies: ["BerthAPI"]),
        .testTarget(name: "BerthCLITests", dependencies: ["BerthCLI"]),
        .testTarget(name: "BerthRegistryServerTests", dependencies: ["BerthRegistryServer", "BerthOCI"]),
        .testTarget(name: "IntegrationTests", dependencies: ["BerthOCI"]),
    ],
    swiftLanguageModes: [.v6]
)
