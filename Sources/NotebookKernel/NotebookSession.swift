import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The generated program's side of the link to the runner.
///
/// Events go out as JSON lines on the file descriptor named by `NBRUN_EVENT_FD` (the
/// runner passes a pipe as fd 3): `begin`/`end` around each cell, `display` items,
/// `caught` errors of `error: true` cells, `finish`. When `NBRUN_OUTPUT_DIR` is set, each
/// cell's stdout and stderr go to their own files there (`cell-N.stdout`, `cell-N.stderr`,
/// switched with `dup2` at cell boundaries), so output is attributed to its cell exactly,
/// whatever the pipes' timing; display events carry the stdout/stderr offsets at which
/// they happened, to interleave them with printed text. stdout is line-buffered so a
/// crash loses at most a partial line.
public enum NotebookSession {
    private static var eventDescriptor: Int32 = -1
    private static var outputDirectory: String?
    /// The cell running now, or -1 outside cells.
    public private(set) static var currentCell = -1

    /// Called once, before the first cell.
    public static func start(cellCount: Int) {
        setvbuf(stdout, nil, _IOLBF, 0)
        setvbuf(stderr, nil, _IONBF, 0)
        if let text = ProcessInfo.processInfo.environment["NBRUN_EVENT_FD"], let descriptor = Int32(text) {
            eventDescriptor = descriptor
        }
        if let directory = ProcessInfo.processInfo.environment["NBRUN_OUTPUT_DIR"], !directory.isEmpty {
            outputDirectory = directory
            redirectOutput(to: "outside")
        }
        emit(["event": "start", "cells": cellCount])
    }

    public static func beginCell(_ index: Int, line: Int) {
        redirectOutput(to: "cell-\(index)")
        currentCell = index
        emit(["event": "begin", "cell": index, "line": line])
    }

    public static func endCell(_ index: Int) {
        emit(["event": "end", "cell": index])
        currentCell = -1
        redirectOutput(to: "outside")
    }

    /// Cell-cache events (`cached`, `cacheStored`, `cacheNote`, `cacheWarning`; see `NotebookCache`).
    static func emitCacheEvent(_ event: [String: Any]) {
        emit(event)
    }

    /// Reports the error an `error: true` cell threw; the run goes on.
    public static func caught(_ error: Error) {
        emit(["event": "caught", "cell": currentCell, "type": String(reflecting: type(of: error)),
              "message": String(describing: error), "stdout": offset(1), "stderr": offset(2)])
    }

    public static func finish() {
        emit(["event": "finish"])
    }

    /// Sends a display item for the current cell; `width` is the CSS width for an image.
    public static func send(_ item: DisplayItem, width: Int? = nil) {
        fflush(stdout)
        var event: [String: Any] = ["event": "display", "cell": currentCell, "stdout": offset(1), "stderr": offset(2)]
        switch item {
        case .text(let text):
            event["kind"] = "text"
            event["text"] = text
        case .png(let bytes):
            event["kind"] = "png"
            event["data"] = Data(bytes).base64EncodedString()
            if let width { event["width"] = width }
        case .table(let headers, let rows):
            event["kind"] = "table"
            event["headers"] = headers
            event["rows"] = rows
        case .html(let html):
            event["kind"] = "html"
            event["html"] = html
        }
        emit(event)
    }

    /// Points fds 1 and 2 at `<outputDirectory>/<name>.stdout` and `.stderr`.
    private static func redirectOutput(to name: String) {
        guard let outputDirectory else { return }
        fflush(stdout)
        fflush(stderr)
        for (descriptor, suffix) in [(Int32(1), "stdout"), (Int32(2), "stderr")] {
            let file = open("\(outputDirectory)/\(name).\(suffix)", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard file >= 0 else { continue }
            dup2(file, descriptor)
            close(file)
        }
    }

    /// Bytes written so far to fd 1 or 2 (a file when the runner redirected them).
    private static func offset(_ descriptor: Int32) -> Int {
        max(0, Int(lseek(descriptor, 0, SEEK_END)))
    }

    private static func emit(_ event: [String: Any]) {
        fflush(stdout)
        guard eventDescriptor >= 0,
              var data = try? JSONSerialization.data(withJSONObject: event, options: []) else { return }
        data.append(UInt8(ascii: "\n"))
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(eventDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

extension NotebookSession {
    /// A failed `check`: reports it (message and the .md location of the call) and ends the
    /// program with status 1, as a failing test stops.
    static func failCheck(_ message: String, file: String, line: Int) {
        fflush(stdout)
        emit(["event": "checkFailed", "cell": currentCell, "message": message, "file": file, "line": line])
        fputs("check failed: \(message)\n  at \(file):\(line)\n", stderr)
        finish()
        exit(1)
    }
}
