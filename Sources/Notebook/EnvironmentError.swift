import Foundation

/// A failure of the machine rather than of the notebook: a full disk, a path the file system
/// refuses, a compiler that fails without pointing at a line of the notebook, a report path that
/// is a folder. nbrun exits with `ExitStatus.environment`, keeps the last report, and says
/// "cannot build/run/write X: reason", never that the notebook is wrong.
public struct EnvironmentError: Error, CustomStringConvertible, Sendable, Equatable {
    /// "cannot build nb.md: No space left on device (...)".
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// `cannot <action>: <reason>`, the reason taken from a thrown error (its POSIX reason when
    /// it has one, never Foundation's `NSCocoaErrorDomain` dump).
    public init(cannot action: String, _ error: Error, hint: String? = nil) {
        self.init("cannot \(action): \(Self.reason(error))", hint: hint)
    }

    public var description: String {
        Diagnostic(file: nil, line: nil, column: nil, severity: .error, message: message, hint: hint).description
    }

    /// What went wrong, in the words of the C library when the error carries an errno.
    public static func reason(_ error: Error) -> String {
        if let environment = error as? EnvironmentError { return environment.message }
        if let notebook = error as? NotebookError { return notebook.diagnostics.map(\.message).joined(separator: "; ") }
        if let underlying = (error as? CocoaError)?.underlying.map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        let nsError = error as NSError
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
            case .fileWriteNoPermission, .fileReadNoPermission: return String(cString: strerror(EACCES))
            case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
            case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
            case .fileWriteFileExists: return String(cString: strerror(EEXIST))
            default: break
            }
        }
        return nsError.localizedDescription
    }

    /// `cannot <action>: <strerror(errno)>`, for a failed system call.
    public static func fromErrno(_ action: String, _ code: Int32 = errno, hint: String? = nil) -> EnvironmentError {
        EnvironmentError("cannot \(action): \(String(cString: strerror(code)))", hint: hint)
    }
}
