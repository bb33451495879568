import Foundation
import KernelProtocol
import Testing

/// Paths as keys and entries write them: the same in two clones laid out alike, different where
/// the same words would name other files.
@Suite struct WorkspacePathsTests {
    static func paths(root: String, data: String? = nil, workingDirectory: String) -> WorkspacePaths {
        var environment = ["NBRUN_ROOT": root]
        if let data { environment["NBRUN_DATA"] = data }
        return WorkspacePaths.current(environment: environment, workingDirectory: workingDirectory)
    }

    @Test func twoClonesWriteTheSamePathsAndResolveThemToTheirOwnFiles() {
        let one = Self.paths(root: "/ci/one/repo", workingDirectory: "/ci/one/repo")
        let two = Self.paths(root: "/home/me/elsewhere/repo/", workingDirectory: "/home/me/elsewhere/repo")
        #expect(one.signature == two.signature)
        for (a, b) in [("/ci/one/repo/notebooks/mlp.md", "/home/me/elsewhere/repo/notebooks/mlp.md"),
                       ("/ci/one/repo/data/mnist/train-images-idx3-ubyte", "/home/me/elsewhere/repo/data/mnist/train-images-idx3-ubyte")] {
            #expect(one.portable(a) == two.portable(b))
            #expect(two.resolve(one.portable(a)) == b)
        }
        // The innermost folder names it; on a tie (the working directory is the root), the root does.
        #expect(one.portable("/ci/one/repo/notebooks/mlp.md") == "$NBRUN_ROOT/notebooks/mlp.md")
        // Outside every folder: as it is.
        #expect(one.portable("/etc/hosts") == "/etc/hosts")
        #expect(two.resolve("/etc/hosts") == "/etc/hosts")
        // `..` and `.` are folded, links are not followed.
        #expect(one.portable("/ci/one/repo/notebooks/../data/./x") == "$NBRUN_ROOT/data/x")
    }

    @Test func anotherWorkingDirectoryIsAnotherSignature() {
        let atRoot = Self.paths(root: "/r", workingDirectory: "/r")
        let inNotebooks = Self.paths(root: "/r", workingDirectory: "/r/notebooks")
        let outside = Self.paths(root: "/r", workingDirectory: "/tmp/x")
        #expect(Set([atRoot.signature, inNotebooks.signature, outside.signature]).count == 3)
        // A relative path a cell opens, made absolute from each: other files, other words.
        #expect(inNotebooks.portable("/r/notebooks/input.txt") == "$PWD/input.txt")
        #expect(atRoot.portable("/r/input.txt") == "$NBRUN_ROOT/input.txt")
    }

    @Test func aDataFolderInsideOrOutsideTheRepository() {
        let inside = Self.paths(root: "/r", data: "/r/data", workingDirectory: "/r")
        #expect(inside.portable("/r/data/mnist/t10k") == "$NBRUN_DATA/mnist/t10k")
        let outside = Self.paths(root: "/r", data: "/datasets", workingDirectory: "/r")
        #expect(outside.portable("/datasets/mnist/t10k") == "$NBRUN_DATA/mnist/t10k")
        #expect(inside.signature != outside.signature)
        // A folder this process does not have: the path stays as written, naming no file of its.
        let without = Self.paths(root: "/r", workingDirectory: "/r")
        #expect(without.resolve("$NBRUN_DATA/mnist/t10k") == "$NBRUN_DATA/mnist/t10k")
    }
}
