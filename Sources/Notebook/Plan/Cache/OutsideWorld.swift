import SwiftSyntax

/// The APIs through which code reaches what the cache does not follow, found in a cell's or a
/// declaration's syntax: reading the outside world (a cached cell doing so runs every time unless
/// `cache-extra` names what it reads), changing it (such a cell is never cached: a restore would
/// not do it again), values that differ from run to run (replayed by a restore; the
/// differential check does not expect them to repeat), and the location literals (`#line`),
/// whose value is where the code is.
enum OutsideWorld {
    /// Names whose every use reads files, the environment or other programs without the engine.
    static let inputNames: Set<String> = [
        "ProcessInfo", "getenv", "environ", "FileManager", "FileHandle", "fopen", "fread", "fgets", "fgetc", "getline",
        "popen", "readLine", "Process", "URLSession", "CommandLine", "InputStream", "opendir", "readdir", "stat", "lstat",
        "Bundle", "NSData",
    ]
    /// POSIX calls that read, when called as functions (`open(path, O_RDONLY)`, `Glibc.read(...)`),
    /// not as a method of the same name.
    static let inputCalls: Set<String> = [
        "open", "openat", "read", "pread", "readv", "fstat", "fstatat", "mmap", "fdopen", "freopen", "fscanf", "access", "readlink",
        "scandir", "glob", "realpath", "getcwd",
    ]
    /// Argument labels of Foundation's readers (`Data(contentsOf:)`, `String(contentsOfFile:)`).
    static let inputLabels: Set<String> = ["contentsOf", "contentsOfFile", "contentsOfURL", "contentsOfDirectory"]
    /// Names whose every use changes files, the environment or the process outside what the engine tracks.
    static let effectNames: Set<String> = [
        "fwrite", "fputs", "fprintf", "remove", "unlink", "rename", "mkdir", "rmdir", "system", "popen", "Process",
        "URLSession", "setenv", "unsetenv", "putenv", "chdir", "createFile", "removeItem", "moveItem", "copyItem",
        "createDirectory", "changeCurrentDirectoryPath", "trashItem", "setAttributes", "linkItem", "createSymbolicLink",
        "replaceItem", "truncateFile", "seekToEndOfFile", "OutputStream",
    ]
    /// POSIX calls that change the outside world, when called as functions.
    static let effectCalls: Set<String> = [
        "write", "pwrite", "writev", "ftruncate", "truncate", "unlinkat", "renameat", "symlink", "link", "chmod", "fchmod",
        "fsync", "creat", "srand", "srandom", "srand48", "setlocale", "signal", "umask", "kill", "dup2",
    ]
    /// Sources of values that differ from run to run: names whose every use is one...
    static let nondeterministicNames: Set<String> = [
        "Date", "UUID", "SystemRandomNumberGenerator", "DispatchTime", "DispatchWallTime", "ContinuousClock", "SuspendingClock",
        "ProcessInfo", "Hasher", "hashValue", "ObjectIdentifier", "Unmanaged",
    ]
    /// ...functions, when called as such (`time(nil)`, not a variable named `time`)...
    static let nondeterministicCalls: Set<String> = [
        "arc4random", "arc4random_uniform", "drand48", "rand", "random", "time", "clock", "gettimeofday", "clock_gettime",
        "getpid", "CFAbsoluteTimeGetCurrent",
    ]
    /// ...and methods drawing from the system's generator unless given `using:` another.
    static let nondeterministicMethods: Set<String> = ["random", "randomElement", "shuffled", "shuffle"]
    /// Literals whose value is where the code is.
    static let locationLiterals: Set<String> = ["file", "filePath", "fileID", "line", "column", "function", "dsohandle"]

    static func untrackedInput(in node: Syntax) -> String? {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind else { continue }
            if let label = token.parent?.as(LabeledExprSyntax.self), label.label?.id == token.id {
                if inputLabels.contains(name) { return "\(name):" }
                continue
            }
            if inputNames.contains(name) { return name }
            if inputCalls.contains(name), isFunctionCall(token) { return name }
        }
        return nil
    }

    static func untrackedEffect(in node: Syntax) -> String? {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind else { continue }
            if token.parent?.is(LabeledExprSyntax.self) == true { continue }
            if effectNames.contains(name) { return name }
            if effectCalls.contains(name), isFunctionCall(token) { return name }
            // `data.write(to:)`, `text.write(toFile:)`, `handle.write(...)`; the engine's own writers are tracked.
            if name == "write", let member = token.parent?.parent?.as(MemberAccessExprSyntax.self),
               member.declName.baseName.id == token.id {
                let base = member.base?.trimmedDescription ?? ""
                if base != "SafeTensors" { return "write" }
            }
        }
        return nil
    }

    /// The first source of run-to-run differences: the clock, the system's random numbers (a
    /// `random`, `shuffled` or `randomElement` without `using:` a generator of the notebook's), ...
    static func nondeterministicSource(in node: Syntax) -> String? {
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind else { continue }
            if token.parent?.as(LabeledExprSyntax.self)?.label?.id == token.id { continue }
            if nondeterministicNames.contains(name) { return name }
            if nondeterministicCalls.contains(name), isFunctionCall(token) { return name }
            if nondeterministicMethods.contains(name), CellSymbols.isMemberName(token), !passesGenerator(token) { return name }
        }
        return nil
    }

    /// Whether the code uses `#line`, `#filePath` and the like.
    static func usesLocation(in node: Syntax) -> Bool {
        for token in node.tokens(viewMode: .sourceAccurate) where token.tokenKind == .pound {
            if let next = token.nextToken(viewMode: .sourceAccurate), locationLiterals.contains(next.text) { return true }
        }
        return false
    }

    /// `name(...)` or `Module.name(...)`: a call of a free function, not a method of that name.
    private static func isFunctionCall(_ token: TokenSyntax) -> Bool {
        guard let reference = token.parent?.as(DeclReferenceExprSyntax.self) else { return false }
        if let member = reference.parent?.as(MemberAccessExprSyntax.self), member.declName.id == reference.id {
            let base = member.base?.trimmedDescription ?? ""
            guard ["Glibc", "Darwin", "Foundation", "Musl"].contains(base) else { return false }
            return member.parent?.as(FunctionCallExprSyntax.self)?.calledExpression.id == member.id
        }
        return reference.parent?.as(FunctionCallExprSyntax.self)?.calledExpression.id == reference.id
    }

    /// A call of `random`/`shuffled` given `using:` a generator.
    private static func passesGenerator(_ token: TokenSyntax) -> Bool {
        var node: Syntax? = token.parent
        for _ in 0..<4 {
            guard let current = node else { return false }
            if let call = current.as(FunctionCallExprSyntax.self) {
                return call.arguments.contains { $0.label?.text == "using" }
            }
            node = current.parent
        }
        return false
    }
}
