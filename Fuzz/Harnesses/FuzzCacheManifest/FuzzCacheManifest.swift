// libFuzzer harness: a cell cache entry's `manifest.json`, read as the notebook program and the
// tool read it (`KernelCoding.decoder()`, then `problem`), written back as the program writes one
// (encoded, decoded again: the entry must stay readable), and listed by `CellCache.entries()` from
// a cache folder (`nbrun cache list`), its date formatted as the report and the cache's warnings
// show it. A crash, a sanitizer report, a hang, or an entry the tool cannot read back is a finding.
import Foundation
import KernelProtocol
@testable import Notebook

private let cacheDirectory: String = {
    let folder = NSTemporaryDirectory() + "nbrun-fuzz-manifest-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder + "/cells/entry", withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "nbrun-fuzz-manifest-\(getpid())") }
    return folder
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCacheManifest(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = start.map { Data(bytes: $0, count: count) } ?? Data()
    let decoded = try? KernelCoding.decoder().decode(CacheManifest.self, from: data)
    if let decoded {
        // Where the tool shows the date: the report's cached-cell line, the cache limit's warning.
        _ = HTMLReport.formatStoredDate(decoded.stored)
        _ = KernelCoding.formatDate(decoded.stored)
    }
    if var manifest = decoded, manifest.problem == nil {
        // As the program writes an entry: sorted keys, dates as ISO 8601 with milliseconds.
        manifest.stored = Date(timeIntervalSince1970: 1_700_000_000.5)
        let encoded: Data
        do {
            encoded = try KernelCoding.encoder(sorted: true).encode(manifest)
        } catch {
            preconditionFailure("a manifest cannot be encoded: \(error)")
        }
        let again: CacheManifest
        do {
            again = try KernelCoding.decoder().decode(CacheManifest.self, from: encoded)
        } catch {
            preconditionFailure("a written manifest cannot be read back: \(error)")
        }
        precondition(again == manifest, "a written manifest reads back differently")
        precondition(again.problem == nil, "a written manifest reads back with a problem")
    }
    // `nbrun cache list`: the entry from its folder, readable exactly when the manifest is.
    let manifestPath = cacheDirectory + "/cells/entry/manifest.json"
    guard FileManager.default.createFile(atPath: manifestPath, contents: data) else { fatalError("cannot write \(manifestPath)") }
    let entries = CellCache(directory: cacheDirectory).entries()
    precondition(entries.count == 1, "the cache lists \(entries.count) entries, not 1")
    precondition(entries[0].readable == (decoded != nil && decoded?.problem == nil), "the cache reads the entry otherwise")
    _ = entries[0].cellName
    return 0
}
