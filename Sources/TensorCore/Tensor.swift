#if canImport(Glibc)
import Glibc
#endif

/// A dense, row-major tensor of `Float` values, of any rank.
///
/// Storage is a Swift array, so copies are copy-on-write: `var b = a; b[0] = 1`
/// copies the values once, on the first write. Every operation returns a new,
/// contiguous tensor (there are no strided views); the hot loops live in the
/// engine, built in release, and the public API is concrete (`Float`, no
/// generics) so that notebook code compiled at `-Onone` calls full-speed code.
///
///     let x = Tensor([[1, 2, 3], [4, 5, 6]])   // shape [2, 3]
///     let y = (x * 2 + 1).sum(alongAxes: [1])   // shape [2]: [15, 33]
public struct Tensor {
    /// The stored shape and values. Every initialiser and setter keeps
    /// `storedScalars.count == shapeCount(storedShape)`: the kernels trust it and index the
    /// values through unchecked pointers, so a shape that disagreed with the values would read
    /// or write outside them.
    @usableFromInline var storedShape: [Int]
    @usableFromInline var storedScalars: [Float]

    /// The extent of each axis; `[]` for a scalar.
    ///
    /// Setting it reshapes in place, checked as `reshape(to:)` is: the new shape must hold
    /// exactly `count` values (`t.shape = [3, 2]` on 6 values), or the program stops naming
    /// both. The values are not moved.
    public var shape: [Int] {
        @inlinable get { storedShape }
        // No `_modify`: `t.shape[0] = 8` then goes through `set`, a call that crash reports place
        // on its statement (a failure when a modify coroutine resumes was placed on an earlier
        // line of the cell); shapes are a few Ints, so the copy costs nothing.
        set {
            checkReshape(to: newValue)
            storedShape = newValue
        }
    }

    /// The values in row-major order; `scalars.count == shape.reduce(1, *)`.
    ///
    /// Values may be changed in place (`t.scalars[i] = 1`) or replaced by as many others; a
    /// change of count (`t.scalars = [1]` on a (2, 2) tensor, `append`) stops the program,
    /// naming the shape: build a new `Tensor(_:shape:)` instead.
    public var scalars: [Float] {
        @inlinable get { storedScalars }
        set {
            if newValue.count != storedScalars.count { scalarCountChanged(to: newValue.count, "set") }
            storedScalars = newValue
        }
        @inlinable _modify {
            let count = storedScalars.count
            yield &storedScalars
            if storedScalars.count != count { scalarCountChanged(to: storedScalars.count, "changed") }
        }
    }

    /// Stops when `newShape` is not a shape of `count` values (negative, overflowing, other count).
    func checkReshape(to newShape: [Int]) {
        let newCount = shapeCount(newShape, "Tensor.shape")
        if newCount != storedScalars.count {
            engineFailure("Tensor.shape: cannot set shape \(newShape) (\(newCount) values) on a tensor of shape \(storedShape) "
                          + "(\(storedScalars.count) values); a shape must hold the same number of values "
                          + "(build a new Tensor(_:shape:) to change them)")
        }
    }

    /// Stops after an assignment or mutation of `scalars` that changed their count, naming the
    /// shape they no longer fill.
    @usableFromInline
    @inline(never)
    func scalarCountChanged(to newCount: Int, _ how: String) -> Never {
        let expected = shapeCount(storedShape, "Tensor.scalars")
        engineFailure("Tensor.scalars: \(newCount) values \(how == "set" ? "assigned to" : "after a change to") a tensor of shape "
                      + "\(storedShape), which holds \(expected); the count of values must not change "
                      + "(build a new Tensor(_:shape:) to change the shape)")
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(_ scalars: [Float], shape: [Int]) {
        let count = shapeCount(shape, "Tensor(_:shape:)")
        if scalars.count != count {
            engineFailure("Tensor(_:shape:): \(scalars.count) values do not fill shape \(shape) (\(count) values)")
        }
        self.storedShape = shape
        self.storedScalars = scalars
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A rank-2 tensor from rows of equal length.
    public init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        for (index, row) in rows.enumerated() where row.count != columns {
            engineFailure("Tensor(_ rows:): row \(index) has \(row.count) values, row 0 has \(columns)")
        }
        self.init(rows.flatMap { $0 }, shape: [rows.count, columns])
    }

    /// A rank-0 tensor (shape `[]`) holding one value.
    public init(scalar: Float) {
        self.storedShape = []
        self.storedScalars = [scalar]
    }

    /// Internal: trusts that `scalars.count` matches `shape`.
    init(unchecked scalars: [Float], shape: [Int]) {
        self.storedShape = shape
        self.storedScalars = scalars
    }

    /// Internal: a tensor of `shape` whose values `body` writes (all of them) without zeroing first.
    init(shape: [Int], uninitializedWith body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        // Checked: zeros([-2, -3]) would otherwise hold 6 values under a negative shape.
        let count = shapeCount(shape, "Tensor")
        _ = mallocTuning
        self.storedShape = shape
        self.storedScalars = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            adviseHugePages(buffer)
            body(buffer)
            initialized = count
        }
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of values, the product of `shape`.
    public var count: Int { scalars.count }

    /// The single value of a one-element tensor (any rank).
    public var scalar: Float {
        if scalars.count != 1 { engineFailure("Tensor.scalar: tensor of shape \(shape) has \(scalars.count) values, not 1") }
        return scalars[0]
    }

    /// Reads the values without copying. `body` must not let the pointer escape.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try scalars.withUnsafeBufferPointer(body)
    }

    /// Writes the values in place (copying first only if the storage is shared):
    /// the fast path for fused optimizer updates, which loop without allocating.
    /// `body` may change the values but not the buffer: pointing it elsewhere stops the program
    /// (the array's own check is compiled out of the release engine).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try storedScalars.withUnsafeMutableBufferPointer { buffer in
            let original = buffer
            defer {
                if buffer.baseAddress != original.baseAddress || buffer.count != original.count {
                    engineFailure("Tensor.withUnsafeMutableBufferPointer: the closure replaced the buffer of \(original.count) values "
                                  + "(\(buffer.count) after); change the values through it, not the buffer itself")
                }
            }
            return try body(&buffer)
        }
    }

    /// Row-major strides (in elements) of `shape`.
    public var strides: [Int] { rowMajorStrides(shape) }

    /// The value at `indices` (one per axis; negative indices count from the end).
    public subscript(indices: Int...) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    /// The value at `indices` given as an array.
    public subscript(index indices: [Int]) -> Float {
        get { scalars[flatIndex(indices)] }
        set { scalars[flatIndex(indices)] = newValue }
    }

    func flatIndex(_ indices: [Int]) -> Int {
        if indices.count != shape.count {
            engineFailure("Tensor subscript: \(indices.count) indices \(indices) for a tensor of shape \(shape)")
        }
        var offset = 0
        for axis in 0..<indices.count {
            var index = indices[axis]
            if index < 0 { index += shape[axis] }
            if index < 0 || index >= shape[axis] {
                engineFailure("Tensor subscript: index \(indices[axis]) out of range for axis \(axis) of shape \(shape)")
            }
            offset = offset * shape[axis] + index
        }
        return offset
    }
}

extension Tensor: Equatable {
    /// Same shape and the same values (exactly).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

/// Encoded as `shape` and `scalars`, as the stored properties were named. Decoding checks that
/// they agree (a damaged cache file or hand-written JSON could pair 4 values with [300, 300]).
extension Tensor: Codable {
    enum CodingKeys: String, CodingKey { case shape, scalars }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let shape = try container.decode([Int].self, forKey: .shape)
        let scalars = try container.decode([Float].self, forKey: .scalars)
        guard let count = checkedShapeCount(shape) else {
            throw DecodingError.dataCorruptedError(forKey: .shape, in: container,
                                                   debugDescription: "Tensor: shape \(shape) has a negative extent or more values than memory can address")
        }
        guard count == scalars.count else {
            throw DecodingError.dataCorruptedError(forKey: .scalars, in: container,
                                                   debugDescription: "Tensor: \(scalars.count) values do not fill shape \(shape) (\(count) values)")
        }
        self.init(unchecked: scalars, shape: shape)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(storedShape, forKey: .shape)
        try container.encode(storedScalars, forKey: .scalars)
    }
}

/// A value type of arrays: safe to pass between threads.
extension Tensor: Sendable {}

// MARK: - Allocation

/// Set once, before the engine's first large allocation: keep freed buffers in glibc's heap
/// instead of returning them to the kernel.
///
/// Why: by default glibc serves blocks above 128 KiB (a threshold that grows dynamically, but
/// only after a free) with a fresh `mmap` and unmaps them on free, so a training step, which
/// allocates the same activations and gradients every step, paid a page fault (and a page
/// clear, `clear_page_erms` in perf) per 4 KiB of every large temporary. With mmap off
/// (M_MMAP_MAX 0) and a large trim threshold, the next step's buffers come back from the free
/// lists already mapped (`benchmarks cnn layers`: no page fault per step once warm). Blocks
/// over 32 MiB (glibc's largest mmap threshold) are heap blocks too: a 10M-value add went from
/// 2.3-3.3x a memcpy of its 40 MB to 1.7-2.0x, a ReLU from 1.6-2.5x to 1.1-1.3x (`benchmarks
/// engine elementwise`, interleaved), with the same peak memory in `benchmarks mlp`. Up to the
/// trim threshold of freed memory at the top of the heap stays with the process.
let mallocTuning: Void = {
    #if os(Linux)
    _ = glibcMallopt(-4 /* M_MMAP_MAX */, 0)
    _ = glibcMallopt(-1 /* M_TRIM_THRESHOLD */, 256 << 20)
    #endif
}()

#if os(Linux)
/// glibc's `mallopt` (declared in malloc.h, which the Glibc module does not export).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Asks the kernel to back a large, fresh buffer with 2 MiB pages before its first write.
///
/// Why: glibc serves allocations above 32 MiB (and often above 128 KiB) with a fresh `mmap`,
/// so every large result pays one page fault per 4 KiB page on first touch: measured here,
/// a 10M-value add took 50-90 ms against 10 ms for memcpy into a warm buffer. With
/// transparent huge pages in `madvise` mode (Debian's default) this advice cuts the faults
/// 512-fold (the add fell to about 25 ms). Harmless where THP is off or the range is small.
@inline(__always)
func adviseHugePages(_ buffer: UnsafeMutableBufferPointer<Float>) {
    #if os(Linux)
    let bytes = buffer.count * MemoryLayout<Float>.stride
    guard bytes >= 4 << 20, let base = buffer.baseAddress else { return }
    let hugePage: UInt = 2 << 20
    let start = (UInt(bitPattern: base) + hugePage - 1) & ~(hugePage - 1)
    let end = (UInt(bitPattern: base) + UInt(bytes)) & ~(hugePage - 1)
    if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_HUGEPAGE) }
    #endif
}

// MARK: - Errors and shape helpers

/// Stops the program with `message`. Unlike `precondition`, the message survives `-O`
/// builds, so a notebook user sees which operation failed and why.
public func engineFailure(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError(message, file: file, line: line)
}

/// Stops with `message` when `condition` is false: the check for arguments a notebook passes
/// (counts, labels, fractions) in every engine module.
///
/// Why not `precondition`: the engine is built `-Ounchecked` (the speed of its loops), which
/// removes every `precondition` and `assert`, and `-O` would keep the check but drop its message.
/// This one survives both and says what was wrong, e.g. `oneHot: label 7 (sample 1) is outside
/// 0..<3`. It belongs at an API's entry, once per call, not in a loop over the values.
@inlinable
public func engineCheck(_ condition: Bool, _ message: @autoclosure () -> String,
                        file: StaticString = #fileID, line: UInt = #line) {
    if !condition { engineFailure(message(), file: file, line: line) }
}

/// Stops with a message naming the operation and both shapes, e.g.
/// `add: shapes [2, 3] and [4] do not broadcast`.
public func shapeMismatch(_ operation: String, _ lhs: [Int], _ rhs: [Int], _ reason: String = "do not match",
                          file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("\(operation): shapes \(lhs) and \(rhs) \(reason)", file: file, line: line)
}

/// The number of values of `shape`, checking that no extent is negative and that the count
/// (and its size in bytes) does not overflow `Int`; stops naming `operation` otherwise.
func shapeCount(_ shape: [Int], _ operation: String) -> Int {
    if let count = checkedShapeCount(shape) { return count }
    if shape.contains(where: { $0 < 0 }) { engineFailure("\(operation): negative extent in shape \(shape)") }
    engineFailure("\(operation): shape \(shape) holds more values than memory can address (the product of its extents overflows)")
}

/// The number of values of `shape`, or nil when an extent is negative or the product of the
/// non-zero extents times the size of a Float overflows `Int` (as NumPy, a zero extent does not
/// excuse the others: [0, 2^32, 2^32] is refused too, whatever the order of the axes).
package func checkedShapeCount(_ shape: [Int]) -> Int? {
    var product = 1, hasZero = false
    for extent in shape {
        if extent < 0 { return nil }
        if extent == 0 { hasZero = true; continue }
        let (next, overflow) = product.multipliedReportingOverflow(by: extent)
        if overflow || next > Int.max / MemoryLayout<Float>.stride { return nil }
        product = next
    }
    return hasZero ? 0 : product
}

/// Row-major strides of `shape`: the last axis has stride 1.
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in (0..<shape.count).reversed() {
        strides[axis] = step
        step *= shape[axis]
    }
    return strides
}

/// `axis` made non-negative (`-1` is the last axis), checked against `rank`.
func normalizedAxis(_ axis: Int, rank: Int, _ operation: String) -> Int {
    let result = axis < 0 ? axis + rank : axis
    if result < 0 || result >= rank { engineFailure("\(operation): axis \(axis) out of range for rank \(rank)") }
    return result
}
