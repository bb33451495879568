// libFuzzer harness: a cell cache entry's `manifest.json`, read as the kernel and the tool read
// it (`KernelCoding.decoder()`, then `problem`), committed as the tool commits a staged one
// (where, when and the outputs set, encoded, decoded again: the entry must stay readable), and
// listed by `CellCache.entries()` from a cache folder (`nbrun cache list`), its date formatted as
// the report and the cache's warnings show it. A crash, a sanitizer
// report, a hang, or an entry the tool cannot read back after committing it is a finding.
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
        // CellCache.commit: the staged manifest gets the notebook, label, date and outputs.
        manifest.notebook = "/notebooks/fuzz.md"
        manifest.label = "fuzz"
        manifest.stored = Date(timeIntervalSince1970: 1_700_000_000.5)
        manifest.outputs = [.stdout("out\n"), .stderr("err\n")]
        let encoded: Data
        do {
            encoded = try KernelCoding.encoder(sorted: true).encode(manifest)
        } catch {
            preconditionFailure("a committed manifest cannot be encoded: \(error)")
        }
        let again: CacheManifest
        do {
            again = try KernelCoding.decoder().decode(CacheManifest.self, from: encoded)
        } catch {
            preconditionFailure("a committed manifest cannot be read back: \(error)")
        }
        precondition(again == manifest, "a committed manifest reads back differently")
        precondition(again.problem == nil, "a committed manifest reads back with a problem")
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
