// swift-tools-version:6.0
import PackageDescription

// One target per concern, ordered as the daemon's data flows. System libraries and the C shim are
// at the bottom and pure modules (configuration, crypto, protocol, graph, packet) in the middle.
// The daemon at the top joins them on the event loop.
let package = Package(
    name: "swift-tinc",
    products: [
        .executable(name: "tincd", targets: ["tincd"]),
        .executable(name: "automatic-tinc", targets: ["automatic-tinc"]),
    ],
    targets: [
        // C: what Swift cannot call or import on Linux.
        .target(name: "CShim", path: "Sources/CShim"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZO", path: "Sources/CLZO", providers: [.apt(["liblzo2-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        // Pure Swift modules with no I/O of their own.
        .target(name: "TincBase"),
        .target(name: "TincConfig", dependencies: ["TincBase"]),
        .target(name: "TincCrypto", dependencies: ["COpenSSL", "TincBase"]),
        .target(name: "TincProtocol", dependencies: ["TincBase"]),
        .target(name: "TincGraph", dependencies: ["TincBase"]),
        .target(name: "TincPacket", dependencies: ["TincCrypto", "CZlib", "CLZO", "TincBase"]),

        // The system boundary and the daemon.
        .target(name: "EventLoop", dependencies: ["CShim"]),
        .target(name: "TincDevice", dependencies: ["CShim", "TincBase"]),
        .target(name: "TincDaemon", dependencies: [
            "TincBase", "TincConfig", "TincCrypto", "TincProtocol", "TincGraph", "TincPacket",
            "EventLoop", "TincDevice", "CShim",
        ]),
        .executableTarget(name: "tincd", dependencies: ["TincDaemon"]),

        // automatic-tinc: etcd discovery around the daemon, in one process.
        .target(name: "Etcd", dependencies: ["CCurl", "TincBase"]),
        .target(name: "AutomaticTinc", dependencies: ["Etcd", "TincDaemon", "TincConfig", "TincCrypto", "TincBase"]),
        .executableTarget(name: "automatic-tinc", dependencies: ["AutomaticTinc"]),

        .testTarget(name: "TincBaseTests", dependencies: ["TincBase"]),
        .testTarget(name: "TincConfigTests", dependencies: ["TincConfig"]),
        .testTarget(name: "TincCryptoTests", dependencies: ["TincCrypto"]),
        .testTarget(name: "TincProtocolTests", dependencies: ["TincProtocol"]),
        .testTarget(name: "TincGraphTests", dependencies: ["TincGraph"]),
        .testTarget(name: "TincPacketTests", dependencies: ["TincPacket"]),
        .testTarget(name: "EventLoopTests", dependencies: ["EventLoop"]),
        .testTarget(name: "TincDaemonTests", dependencies: ["TincDaemon"]),
        .testTarget(name: "EtcdTests", dependencies: ["Etcd"]),
        .testTarget(name: "AutomaticTincTests", dependencies: ["AutomaticTinc"]),
    ]
)
