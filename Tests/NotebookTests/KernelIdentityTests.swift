import Crypto
import Foundation
import Testing
@testable import Notebook

/// The kernel's identity is the sources its build names inside it: the same in another folder,
/// another after an edit and a rebuild, the old one in a library not rebuilt since.
@Suite struct KernelIdentityTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func theReleaseKernelNamesTheSourcesItWasBuiltFrom() throws {
        let kernel = try EndToEnd.kernel()
        let identity = try KernelIdentity(libraryAt: kernel.libraryPath)
        let sources = try #require(identity.sources, "the kernel names no sources")
        #expect(KernelIdentity.wellFormed(sources))
        #expect(sources.split(separator: " ").dropFirst().first == "release", "\(sources)")
        #expect(identity.digest != (try LibraryDigest.sha256(ofLibraryAt: kernel.libraryPath)))
        let folder = try EndToEnd.temporaryDirectory()
        let builder = NotebookBuilder(kernel: kernel, toolchain: Toolchain(swiftc: "swiftc", version: "Swift version 0"),
                                      cacheDirectory: folder + "/.cache")
        #expect(try builder.kernelHash() == identity.digest)
    }

    /// What a shared cache matches on, where a user looks when two machines do not share.
    @Test func doctorPrintsTheIdentity() throws {
        let identity = try KernelIdentity(libraryAt: try EndToEnd.kernel().libraryPath)
        let doctor = try EndToEnd.nbrun(["doctor"])
        #expect(doctor.status == 0, "\(doctor.stderr)")
        let sources = try #require(identity.sources)
        #expect(doctor.stdout.contains("kernel identity: \(identity.digest) (built from sources \(sources))\n"), "\(doctor.stdout)")
    }

    /// Libraries written here: an ELF header's first bytes, then `body`.
    static func library(_ body: String, machine: UInt8 = 0x3E, in folder: String, name: String) throws -> String {
        var bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + Array(repeating: 0, count: 8) + [3, 0, machine, 0]
        bytes += Array(body.utf8) + [0]
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theIdentityIsTheMarkerAndTheMachineAndNothingElse() throws {
        let folder = try EndToEnd.temporaryDirectory()
        let sources = String(repeating: "ab12", count: 16)
        let marker = KernelIdentity.marker + sources + " release fma"
        let one = try KernelIdentity(libraryAt: Self.library("code built in /tmp/one\u{0}" + marker, in: folder, name: "one.so"))
        let two = try KernelIdentity(libraryAt: Self.library("other code, built in /tmp/second-clone\u{0}" + marker, in: folder, name: "two.so"))
        #expect(one.sources == sources + " release fma")
        #expect(one == two)

        let debug = try KernelIdentity(libraryAt: Self.library(KernelIdentity.marker + sources + " debug fma", in: folder, name: "debug.so"))
        #expect(debug.sources != nil && debug.digest != one.digest)
        let edited = try KernelIdentity(libraryAt: Self.library(KernelIdentity.marker + String(repeating: "ab13", count: 16) + " release fma",
                                                                in: folder, name: "edited.so"))
        #expect(edited.sources != nil && edited.digest != one.digest)
        let arm = try KernelIdentity(libraryAt: Self.library(marker, machine: 0xB7, in: folder, name: "arm.so"))
        #expect(arm.sources == one.sources && arm.digest != one.digest)
    }

    /// What names no sources, or two, or names them badly, is identified by its bytes (`LibraryDigest`).
    @Test func aLibraryWithoutOneWellFormedMarkerIsIdentifiedByItsBytes() throws {
        let folder = try EndToEnd.temporaryDirectory()
        let sources = String(repeating: "0f", count: 32)
        for (name, body) in [
            ("none.so", "no marker here"),
            ("two.so", KernelIdentity.marker + sources + " release\u{0}" + KernelIdentity.marker + sources + " debug"),
            ("short.so", KernelIdentity.marker + sources.dropLast() + " release"),
            ("upper.so", KernelIdentity.marker + sources.uppercased() + " release"),
            ("bare.so", KernelIdentity.marker + sources),
            ("word.so", KernelIdentity.marker + sources + " Release"),
        ] {
            let path = try Self.library(body, in: folder, name: name)
            let identity = try KernelIdentity(libraryAt: path)
            #expect(identity.sources == nil, "\(name)")
            #expect(identity.digest == (try LibraryDigest.sha256(ofLibraryAt: path)), "\(name)")
        }
        // The same marker twice is one set of sources (a copy of the string).
        let twice = try KernelIdentity(libraryAt: Self.library(
            KernelIdentity.marker + sources + " release\u{0}" + KernelIdentity.marker + sources + " release", in: folder, name: "twice.so"))
        #expect(twice.sources == sources + " release")
        #expect(throws: NotebookError.self) { try KernelIdentity(libraryAt: folder + "/absent.so") }
    }

    /// The KernelSourceIdentity plugin in a small package built by SwiftPM as the kernel is: two
    /// copies in different folders name the same sources; an edit changes them once rebuilt, and
    /// not before.
    @Test(.timeLimit(.minutes(10))) func thePluginNamesTheSourcesOfItsBuild() throws {
        let folder = try EndToEnd.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = folder + "/first-clone", second = folder + "/clone-in-another-folder"
        for package in [first, second] { try Self.writePackage(at: package) }

        let built = try Self.buildKernel(in: first)
        let other = try Self.buildKernel(in: second)
        let identity = try KernelIdentity(libraryAt: built)
        let sources = try #require(identity.sources)
        #expect(sources.hasSuffix(" debug"), "\(sources)")
        #expect(try KernelIdentity(libraryAt: other) == identity, "the same sources in another folder")

        // An edited engine source: the library not yet rebuilt still names the sources it was built from.
        let engine = first + "/Sources/Engine/Engine.swift"
        try (try String(contentsOfFile: engine, encoding: .utf8) + "public func twice(_ x: Int) -> Int { 2 * x }\n")
            .write(toFile: engine, atomically: true, encoding: .utf8)
        #expect(try KernelIdentity(libraryAt: built) == identity)
        _ = try Self.buildKernel(in: first)
        let edited = try KernelIdentity(libraryAt: built)
        #expect(edited.sources != nil && edited != identity)

        // A header of a C target the engine uses.
        let header = second + "/Sources/CEngine/include/engine.h"
        try "static inline int engine_base(void) { return 8; }\nint engine_answer(void);\n".write(toFile: header, atomically: true, encoding: .utf8)
        _ = try Self.buildKernel(in: second)
        let withHeader = try KernelIdentity(libraryAt: other)
        #expect(withHeader.sources != nil && withHeader != identity && withHeader != edited)
    }

    /// A package laid out as nbrun's: a C target, an engine on it, the kernel (a dynamic library)
    /// on the engine with the plugin, the plugin copied from this repository.
    static func writePackage(at root: String) throws {
        let files = [
            "Package.swift": """
                // swift-tools-version:6.0
                import PackageDescription

                let package = Package(
                    name: "identity",
                    products: [.library(name: "NotebookKernel", type: .dynamic, targets: ["NotebookKernel"])],
                    targets: [
                        .target(name: "CEngine"),
                        .target(name: "Engine", dependencies: ["CEngine"]),
                        .target(name: "NotebookKernel", dependencies: ["Engine"], plugins: ["KernelSourceIdentity"]),
                        .plugin(name: "KernelSourceIdentity", capability: .buildTool()),
                    ]
                )

                """,
            "Sources/CEngine/engine.c": "#include \"engine.h\"\nint engine_answer(void) { return 6 * engine_base(); }\n",
            "Sources/CEngine/include/engine.h": "static inline int engine_base(void) { return 7; }\nint engine_answer(void);\n",
            "Sources/Engine/Engine.swift": "import CEngine\n\npublic func answer() -> Int { Int(engine_answer()) }\n",
            "Sources/NotebookKernel/Kernel.swift": "@_exported import Engine\n",
        ]
        try EndToEnd.write(files, under: root)
        let plugin = "Plugins/KernelSourceIdentity"
        try FileManager.default.createDirectory(atPath: root + "/Plugins", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent(plugin).path, toPath: root + "/" + plugin)
    }

    /// `swift build --product NotebookKernel` in `root`; the library's path.
    static func buildKernel(in root: String) throws -> String {
        let build = try Subprocess.capture("swift", ["build", "--package-path", root, "--product", "NotebookKernel"])
        #expect(build.termination == .exited(0), "swift build in \(root): \(build.stdout)\(build.stderr)")
        return root + "/.build/debug/libNotebookKernel.so"
    }
}
