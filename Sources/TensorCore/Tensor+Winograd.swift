// 3x3 convolutions of stride 1 by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray,
// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2x2 block of outputs comes
// from a 4x4 tile of the input with 16 multiplications per (channel, filter) pair instead of 36.
//
// In one dimension, F(2, 3) computes y = Aᵀ[(G g) ⊙ (Bᵀ d)] for a tile d of 4 inputs and a
// filter g of 3 taps, with
//     Bᵀ = | 1  0 -1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
//          | 0  1  1  0 |         | 1/2  1/2  1/2|          | 0  1 -1 -1 |
//          | 0 -1  1  0 |         | 1/2 -1/2  1/2|
//          | 0  1  0 -1 |         | 0    0    1  |
// and in two, Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A. Summed over channels, the 16 products of a tile are
// 16 matrix products, one per position ξ of the 4x4 transform:
//     M[ξ] (F, tiles) = U[ξ] (F, C) x V[ξ] (C, tiles),  U = G g Gᵀ, V = Bᵀ d B
// which run through sgemm. The backward starts from Z = A e Aᵀ, e a tile's 2x2 block of the
// output gradient, and both gradients read it. The input gradient is the forward's adjoint:
// W[ξ] (C, tiles) = U[ξ]ᵀ (C, F) x Z[ξ] (F, tiles), then B W Bᵀ per tile, added where the tiles
// overlap (`transformInputAdjoint`). The weight gradient is F(3x3, 2x2), the transposed
// algorithm: for each tile, the 3x3 sum Gᵀ[Z ⊙ (Bᵀ d B)]G; summed over tiles it is again 16
// matrix products, S[ξ] (F, C) = Z[ξ] (F, tiles) x V[ξ] (tiles, C), over the tiles (V laid out
// tile-major here, from the input staged channels-last: see `transformInputByTiles`).
//
// Measured with `benchmarks cnn conv` against the unfolded columns (see `convolvesByWinograd`).
// The transforms add and subtract halves, so the results differ from the direct sums by
// rounding (about 1e-6 relative on values of order 1, well inside the tests' tolerance).

/// Whether `convolution2D` and its backward pass run Winograd's F(2x2, 3x3): a 3x3 kernel of
/// stride 1 from at least 16 channels to at least 32 filters. Chosen before the direct loops
/// and the columns, by `benchmarks cnn conv` (one core, CPU time, 128 images):
///
///     3x3 stride 1          forward ms: Winograd / direct / columns   backward ms
///     32 -> 64, 26x26               14.5 / 43.1 / 27.9               30.9 / 89.9 / 53.9
///     32 -> 32, 26x26                8.7 / 21.4 / 19.4               17.9 / 43.6 / 35.8
///     64 -> 128, 14x14 (64 imgs)    11.0 / 27.3 / 16.9               15.7 / 48.4 / 31.3
///     8 -> 16, 14x14                 1.0 /  1.0 /  1.6                1.7 /  2.5 /  3.1
///
/// Forward and backward choose alike, so the backward reads what the forward saved.
func convolvesByWinograd(_ window: Window2D, channels: Int, filters: Int) -> Bool {
    let possible = window.kernelHeight == 3 && window.kernelWidth == 3 && window.strideHeight == 1 && window.strideWidth == 1
        && window.paddingHeight <= 2 && window.paddingWidth <= 2
    switch ConvolutionKernel.forced {
    case .winograd?: return possible
    case .direct?, .columns?: return false
    case nil: return possible && channels >= 16 && filters >= 32
    }
}

/// Values a chunk of tiles holds in its two transforms: 2 MB, so that a chunk's transforms and
/// products stay in the core's caches (measured on the 32 -> 64 layer: 2^18-2^19 best, 2^21
/// 15-20% slower, 2^23 twice as slow).
nonisolated(unsafe) package var winogradChunkValues = 1 << 19

/// Tiles per chunk of the weight gradient, at most (at least one image): its 16 products per
/// chunk, (F, tiles) x (tiles, C), run fastest in OpenBLAS's small-matrix kernel, which takes
/// them up to about this inner dimension (measured, one core, the 32 -> 64 layer's products
/// over 128 images: 7.4 ms with chunks of one image, 144 tiles, against 15.8-18.5 with two).
nonisolated(unsafe) package var winogradWeightChunkTiles = 160

/// The distance between two of the 16 planes (one per ξ) of a transform holding `values`
/// values each. A whole number of pages apart, the 16 streams the transforms read and write at
/// once would fall in the same few sets of the L1 cache and evict each other; one cache line
/// more per plane spreads them.
@inline(__always)
private func planeStride(_ values: Int) -> Int { (values + 15) / 16 * 16 + 16 }

/// The 16 transformed filters U[ξ] (outputs, inputs), U = G g Gᵀ, of a pass from `inputs` to
/// `outputs` channels: `weight` is (inputs*9, outputs), the kernel from input i to output o,
/// tap (ky, kx), at row (i*3+ky)*3+kx, column o.
private func transformFilters(_ weight: UnsafePointer<Float>, inputs: Int, outputs: Int) -> [Float] {
    var u = [Float](repeating: 0, count: 16 * outputs * inputs)
    u.withUnsafeMutableBufferPointer { buffer in
        let u = buffer.baseAddress!
        let stride = outputs * inputs
        for o in 0..<outputs {
            for i in 0..<inputs {
                @inline(__always) func row(_ ky: Int) -> SIMD4<Float> {
                    @inline(__always) func tap(_ kx: Int) -> Float {
                        weight[((i * 3 + ky) * 3 + kx) * outputs + o]
                    }
                    return SIMD4(tap(0), tap(1), tap(2), 0)
                }
                let g0 = row(0), g1 = row(1), g2 = row(2)
                // G g: 4 rows of 3 (the lanes).
                let t = (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                // (G g) Gᵀ: each row's 3 values become 4.
                @inline(__always) func put(_ row: SIMD4<Float>, _ r: Int) {
                    let at = u + r * 4 * stride + o * inputs + i
                    at[0] = row[0]
                    at[stride] = 0.5 * (row[0] + row[1] + row[2])
                    at[2 * stride] = 0.5 * (row[0] - row[1] + row[2])
                    at[3 * stride] = row[2]
                }
                put(t.0, 0); put(t.1, 1); put(t.2, 2); put(t.3, 3)
            }
        }
    }
    return u
}

/// Eight consecutive tiles at once: tile tx of a row starts at column 2tx, so for tiles
/// t..<t+8 the columns 2tx + j (j = 0...3) are the even and odd lanes of the 16 values from
/// column 2t and of the 16 from column 2t + 2. The rows are first copied, zero-padded, into a
/// line buffer, so the loads never leave it and the padding needs no test per value.
private typealias Lanes = SIMD8<Float>

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func storeLanes(_ value: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: value, as: Lanes.self)
}

@inline(__always)
private func interleave(_ a: Lanes, _ b: Lanes) -> SIMD16<Float> {
    SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}

/// Values a line buffer holds for rows of `tilesWide` tiles: whole groups of eight tiles, and
/// the two columns and one 16-value load past the last group.
@inline(__always)
private func lineWidth(tilesWide: Int) -> Int { (tilesWide + 7) / 8 * 16 + 32 }

/// Copies row `y` of the `h` x `w` `plane` into `line` (`width` values, a multiple of 16),
/// shifted right by `shift` columns; zero outside the image, and where `mask` (a plane like
/// `plane`, when given: a rectified output) is not positive.
///
/// The line buffers start zeroed, and a copy only ever writes columns `shift ..< shift + w`, so
/// the columns outside stay zero and only a row outside the image clears anything (those
/// columns). Whole-register stores, no clearing of whole lines: the transforms copy a few dozen
/// values per line, hundreds of thousands of lines per pass, and loops clearing or copying
/// single values became calls of memset and memmove, which cost more than the copying
/// (measured: memset 5-12% of the Keras CNN's epoch).
@inline(__always)
private func copyLine(_ plane: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil, y: Int, h: Int, w: Int, shift: Int,
                      into line: UnsafeMutablePointer<Float>, width: Int) {
    let first = Swift.max(0, -shift), last = Swift.max(first, Swift.min(w, width - shift))
    let count = last - first
    let to = line + shift + first
    guard y >= 0 && y < h else {
        if count >= 8 {
            forEachBlockOfEight(count) { storeLanes(.zero, to + $0) }
        } else {
            for x in 0..<count { to[x] = 0 }
        }
        return
    }
    let from = plane + y * w + first
    let kept = mask.map { $0 + y * w + first }
    @inline(__always) func copy(_ x: Int) {
        var values = load8(from + x)
        if let kept { values = SIMD8<Float>.zero.replacing(with: values, where: load8(kept + x) .> 0) }
        storeLanes(values, to + x)
    }
    if count >= 8 {
        forEachBlockOfEight(count, copy)
    } else {
        for x in 0..<count { to[x] = kept.map { $0[x] > 0 } ?? true ? from[x] : 0 }
    }
}

/// Rows 0...3 of a 4x4 input tile d (columns 0...3 of each), its values side by side in lanes.
private typealias TileRows = ((Lanes, Lanes, Lanes, Lanes), (Lanes, Lanes, Lanes, Lanes), (Lanes, Lanes, Lanes, Lanes),
                              (Lanes, Lanes, Lanes, Lanes))

/// Bᵀ d B of the tile `d`: each of its 16 values handed to `put` with its ξ (row * 4 + column).
@inline(__always)
private func transformTile(_ d: TileRows, _ put: (Lanes, Int) -> Void) {
    let (d0, d1, d2, d3) = d
    // Bᵀ d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3), column by column.
    let t0 = (d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
    let t1 = (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
    let t2 = (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
    let t3 = (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
    // (Bᵀ d) B: within each row, the same combinations of its columns.
    @inline(__always) func row(_ t: (Lanes, Lanes, Lanes, Lanes), _ r: Int) {
        put(t.0 - t.2, r * 4 + 0)
        put(t.1 + t.2, r * 4 + 1)
        put(t.2 - t.1, r * 4 + 2)
        put(t.1 - t.3, r * 4 + 3)
    }
    row(t0, 0); row(t1, 1); row(t2, 2); row(t3, 3)
}

/// Calls `body` with the start of each block of eight values in 0..<count (at least 8): every
/// multiple of eight that fits, then count - 8 when eight do not divide count, a block
/// overlapping the one before (so `body` must write the same values where they overlap).
@inline(__always)
private func forEachBlockOfEight(_ count: Int, _ body: (Int) -> Void) {
    var x = 0
    while x + 8 <= count { body(x); x += 8 }
    if x < count { body(count - 8) }
}

/// V[ξ][c][p] = (Bᵀ d B)[ξ] for the 4x4 tiles of `images` of the NCHW `source` (channels C,
/// height h, width w), tile (ty, tx) starting at input row 2ty - padding, column 2tx - padding
/// (outside the image: 0). `v` holds 16 planes `planeStride(C * tiles)` apart, channel c's
/// tiles at c * tiles in each; tile p = image * th * tw + ty * tw + tx.
private func transformInput(_ source: UnsafePointer<Float>, images: Range<Int>, channels: Int,
                            h: Int, w: Int, padding: (Int, Int), th: Int, tw: Int, into v: UnsafeMutablePointer<Float>) {
    let tiles = images.count * th * tw
    let stride = planeStride(channels * tiles)
    let width = lineWidth(tilesWide: tw)
    // Two sets of four lines: a row of tiles is read from the set copied while the row before
    // it was transformed. Read right after they are written, the loads (which straddle the
    // copy's stores) wait for the stores to reach the cache: measured, that wait was most of
    // this function's time.
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 8 * width)
    buffers.initialize(repeating: 0, count: 8 * width)
    defer { buffers.deallocate() }
    // Channel by channel, then image by image, row by row: the order the tiles lie in each
    // plane, so the lanes a row's last group stores past its end land on tiles stored later
    // (the last channel's, on the plane's slack), and every store can be a whole one.
    for c in 0..<channels {
        for (position, image) in images.enumerated() {
            let plane = source + (image * channels + c) * h * w
            @inline(__always) func copyRows(_ ty: Int) {
                let into = buffers + (ty & 1) * 4 * width
                for r in 0..<4 {
                    copyLine(plane, y: 2 * ty - padding.0 + r, h: h, w: w, shift: padding.1, into: into + r * width, width: width)
                }
            }
            copyRows(0)
            for ty in 0..<th {
                let lines = buffers + (ty & 1) * 4 * width
                if ty + 1 < th { copyRows(ty + 1) }
                var group = 0
                while group < tw {
                    // Row r of the eight tiles: its columns 0...3.
                    @inline(__always) func row(_ r: Int) -> (Lanes, Lanes, Lanes, Lanes) {
                        let a = load16(lines + r * width + 2 * group), b = load16(lines + r * width + 2 * group + 2)
                        return (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
                    }
                    let out = v + c * tiles + (position * th + ty) * tw + group
                    transformTile((row(0), row(1), row(2), row(3))) { storeLanes($0, out + $1 * stride) }
                    group += 8
                }
            }
        }
    }
}

/// The 8x8 block whose rows are `r` turned: row j of the result is column j of `r` (the
/// unpack, shuffle and lane-swap steps of the usual AVX transpose).
@inline(__always)
private func transposed8x8(_ r: (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes))
    -> (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes) {
    @inline(__always) func low(_ a: Lanes, _ b: Lanes) -> Lanes { Lanes(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    @inline(__always) func high(_ a: Lanes, _ b: Lanes) -> Lanes { Lanes(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    @inline(__always) func pairs0(_ a: Lanes, _ b: Lanes) -> Lanes { Lanes(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    @inline(__always) func pairs1(_ a: Lanes, _ b: Lanes) -> Lanes { Lanes(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
    let t0 = low(r.0, r.1), t1 = high(r.0, r.1), t2 = low(r.2, r.3), t3 = high(r.2, r.3)
    let t4 = low(r.4, r.5), t5 = high(r.4, r.5), t6 = low(r.6, r.7), t7 = high(r.6, r.7)
    let s0 = pairs0(t0, t2), s1 = pairs1(t0, t2), s2 = pairs0(t1, t3), s3 = pairs1(t1, t3)
    let s4 = pairs0(t4, t6), s5 = pairs1(t4, t6), s6 = pairs0(t5, t7), s7 = pairs1(t5, t7)
    return (Lanes(lowHalf: s0.lowHalf, highHalf: s4.lowHalf), Lanes(lowHalf: s1.lowHalf, highHalf: s5.lowHalf),
            Lanes(lowHalf: s2.lowHalf, highHalf: s6.lowHalf), Lanes(lowHalf: s3.lowHalf, highHalf: s7.lowHalf),
            Lanes(lowHalf: s0.highHalf, highHalf: s4.highHalf), Lanes(lowHalf: s1.highHalf, highHalf: s5.highHalf),
            Lanes(lowHalf: s2.highHalf, highHalf: s6.highHalf), Lanes(lowHalf: s3.highHalf, highHalf: s7.highHalf))
}

/// Channels rounded up to a whole number of lanes: the row length of a tile-major transform.
@inline(__always)
private func lanePadded(_ channels: Int) -> Int { (channels + 7) / 8 * 8 }

/// The values `transformInputByTiles` stages per image: the tiles' footprint, channels last.
private func stagedValues(channels: Int, th: Int, tw: Int) -> Int { (2 * th + 2) * (2 * tw + 2) * lanePadded(channels) }

/// V[ξ][p][c] = (Bᵀ d B)[ξ] as `transformInput`, but tile-major: in each of the 16 planes
/// (`planeStride(tiles * cp)` apart, cp = `lanePadded(channels)`), tile p's channels lie at
/// p * cp (the lanes past the last channel 0). The weight gradient's products read V this way:
/// S[ξ] = Z[ξ] (F, tiles) x V[ξ] (tiles, C) is then a plain product, which OpenBLAS's
/// small-matrix kernel takes (measured on the 32 -> 64 layer's 16 products per image, one core:
/// 7.3 ms per batch of 128, against 13.3 for Z x Vᵀ with V channel-major).
///
/// Each image is first staged channels-last (its tiles' footprint, zero outside the image), so
/// that the transform's lanes are eight channels of one tile and its stores whole rows of V.
/// `staged` holds `stagedValues` values, zero on entry (a copy writes only the image's
/// positions and its channels, so the rest stays zero from one image to the next).
private func transformInputByTiles(_ source: UnsafePointer<Float>, images: Range<Int>, channels: Int, h: Int, w: Int,
                                   padding: (Int, Int), th: Int, tw: Int, into v: UnsafeMutablePointer<Float>,
                                   staged: UnsafeMutablePointer<Float>) {
    let cp = lanePadded(channels)
    let tiles = images.count * th * tw
    let stride = planeStride(cp * tiles)
    let rows = 2 * th + 2, columns = 2 * tw + 2
    // The image's rows and columns the footprint covers (row r of the footprint is image row r - padding).
    let yRange = Swift.max(0, -padding.0)..<Swift.min(h, rows - padding.0)
    let xRange = Swift.max(0, -padding.1)..<Swift.min(w, columns - padding.1)
    let width = xRange.count
    for (position, image) in images.enumerated() {
        var c = 0
        // Eight channels at a time, eight columns at a time: an 8x8 block turned in registers.
        while c + 8 <= channels && width >= 8 {
            let planes = source + (image * channels + c) * h * w + xRange.lowerBound
            for y in yRange {
                let from = planes + y * w
                let to = staged + ((y + padding.0) * columns + xRange.lowerBound + padding.1) * cp + c
                forEachBlockOfEight(width) { at in
                    let turned = transposed8x8((load8(from + at), load8(from + h * w + at), load8(from + 2 * h * w + at),
                                                load8(from + 3 * h * w + at), load8(from + 4 * h * w + at), load8(from + 5 * h * w + at),
                                                load8(from + 6 * h * w + at), load8(from + 7 * h * w + at)))
                    let out = to + at * cp
                    storeLanes(turned.0, out); storeLanes(turned.1, out + cp)
                    storeLanes(turned.2, out + 2 * cp); storeLanes(turned.3, out + 3 * cp)
                    storeLanes(turned.4, out + 4 * cp); storeLanes(turned.5, out + 5 * cp)
                    storeLanes(turned.6, out + 6 * cp); storeLanes(turned.7, out + 7 * cp)
                }
            }
            c += 8
        }
        while c < channels {
            let plane = source + (image * channels + c) * h * w
            for y in yRange {
                let from = plane + y * w, to = staged + ((y + padding.0) * columns + padding.1) * cp + c
                for x in xRange { to[x * cp] = from[x] }
            }
            c += 1
        }
        for ty in 0..<th {
            for tx in 0..<tw {
                let corner = staged + (2 * ty * columns + 2 * tx) * cp
                let out = v + ((position * th + ty) * tw + tx) * cp
                var group = 0
                while group < cp {
                    // Row r of the tile, its columns 0...3: eight channels each.
                    @inline(__always) func row(_ r: Int) -> (Lanes, Lanes, Lanes, Lanes) {
                        let at = corner + r * columns * cp + group
                        return (load8(at), load8(at + cp), load8(at + 2 * cp), load8(at + 3 * cp))
                    }
                    transformTile((row(0), row(1), row(2), row(3))) { storeLanes($0, out + $1 * stride + group) }
                    group += 8
                }
            }
        }
    }
}

/// The values of `transformInputAdjoint`'s buffer: four quarters of a plane's tile rows.
private func footprintValues(th: Int, tw: Int) -> Int { 4 * 2 * th * lineWidth(tilesWide: tw) }

/// The input gradient of `images` from W[ξ][c][p], the gradient with respect to the forward's
/// V (laid out as `transformInput` lays V out): each tile's B W Bᵀ (the adjoint of Bᵀ d B),
/// summed where tiles overlap (two rows and two columns), into the NCHW planes of `dx` (C, h,
/// w), every value of them written. Positions of the tiles' footprint outside the image (the
/// padding) are dropped. `quarters` holds `footprintValues` values, zero on entry.
///
/// Eight tiles of a row at once. A tile's 4x4 values go to four quarters, by its rows (0-1 or
/// 2-3) and columns (0-1 or 2-3), where no two tiles meet, as whole stores; a plane's value is
/// then the sum of the four quarters' values that fall on it, added on the way out. (Summed in
/// place instead, each store waited for the one before it, or the lanes moved across
/// registers, which the compiler turned into scalar code: 2-3 times slower.)
private func transformInputAdjoint(_ wv: UnsafePointer<Float>, images: Range<Int>, channels: Int, h: Int, w: Int,
                                   padding: (Int, Int), th: Int, tw: Int, into dx: UnsafeMutablePointer<Float>,
                                   quarters: UnsafeMutablePointer<Float>) {
    let tiles = images.count * th * tw
    let stride = planeStride(channels * tiles)
    let width = lineWidth(tilesWide: tw), quarter = 2 * th * width
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    for c in 0..<channels {
        for (position, image) in images.enumerated() {
            for ty in 0..<th {
                var group = 0
                while group < tw {
                    let at = wv + c * tiles + (position * th + ty) * tw + group
                    // Lanes past the row's last tile (the next row's tiles) count as 0.
                    let valid = lanes .< SIMD8<Int32>(repeating: Int32(tw - group))
                    @inline(__always) func row(_ r: Int) -> (Lanes, Lanes, Lanes, Lanes) {
                        @inline(__always) func plane(_ k: Int) -> Lanes {
                            Lanes.zero.replacing(with: load8(at + (r * 4 + k) * stride), where: valid)
                        }
                        return (plane(0), plane(1), plane(2), plane(3))
                    }
                    let w0 = row(0), w1 = row(1), w2 = row(2), w3 = row(3)
                    // Bᵀ's adjoint along the tile's rows: (w0, w1 - w2 + w3, w1 + w2 - w0, -w3), column by column.
                    let r0 = w0
                    let r1 = (w1.0 - w2.0 + w3.0, w1.1 - w2.1 + w3.1, w1.2 - w2.2 + w3.2, w1.3 - w2.3 + w3.3)
                    let r2 = (w1.0 + w2.0 - w0.0, w1.1 + w2.1 - w0.1, w1.2 + w2.2 - w0.2, w1.3 + w2.3 - w0.3)
                    let r3 = (-w3.0, -w3.1, -w3.2, -w3.3)
                    @inline(__always) func put(_ r: (Lanes, Lanes, Lanes, Lanes), _ i: Int) {
                        // And along its columns: the same combinations. Columns 0-1 to one quarter,
                        // 2-3 to the next; each row two columns of slack on the left.
                        let d0 = r.0, d1 = r.1 - r.2 + r.3, d2 = r.1 + r.2 - r.0, d3 = -r.3
                        let line = quarters + (i / 2) * 2 * quarter + (2 * ty + i % 2) * width + 2 + 2 * group
                        UnsafeMutableRawPointer(line).storeBytes(of: interleave(d0, d1), as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(line + quarter).storeBytes(of: interleave(d2, d3), as: SIMD16<Float>.self)
                    }
                    put(r0, 0); put(r1, 1); put(r2, 2); put(r3, 3)
                    group += 8
                }
            }
            // Footprint row R = y + padding is row R % 2 of tile row R / 2's top quarters, and of
            // tile row R / 2 - 1's bottom ones; column C of the left quarters, C - 2 of the right.
            let plane = dx + (image * channels + c) * h * w
            for y in 0..<h {
                let footprintRow = y + padding.0, tileRow = footprintRow / 2, within = footprintRow % 2
                let top = tileRow < th ? quarters + (2 * tileRow + within) * width + padding.1 + 2 : nil
                let bottom = tileRow >= 1 ? quarters + 2 * quarter + (2 * (tileRow - 1) + within) * width + padding.1 + 2 : nil
                let to = plane + y * w
                @inline(__always) func sum(_ x: Int) -> Lanes {
                    var total = Lanes.zero
                    if let top { total += load8(top + x) + load8(top + quarter + x - 2) }
                    if let bottom { total += load8(bottom + x) + load8(bottom + quarter + x - 2) }
                    return total
                }
                if w >= 8 {
                    forEachBlockOfEight(w) { storeLanes(sum($0), to + $0) }
                } else {
                    for x in 0..<w {
                        var total: Float = 0
                        if let top { total += top[x] + top[quarter + x - 2] }
                        if let bottom { total += bottom[x] + bottom[quarter + x - 2] }
                        to[x] = total
                    }
                }
            }
        }
    }
}

/// The forward of F(2x2, 3x3) for `images`: out (N, outputs, oh, ow) of the NCHW `source`
/// (inputs channels) with the transformed filters `u`, plus `bias` (outputs) when given, and
/// max(0, ·) when `rectified`. `scratch` holds `winogradScratch(tiles:, inputs + outputs)` values.
private func winogradConvolve(_ source: UnsafePointer<Float>, images: Range<Int>, inputs: Int, outputs: Int, h: Int, w: Int,
                              padding: (Int, Int), oh: Int, ow: Int, u: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              rectified: Bool, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
    let th = (oh + 1) / 2, tw = (ow + 1) / 2
    let tiles = images.count * th * tw
    let vStride = planeStride(inputs * tiles), stride = planeStride(outputs * tiles)
    let v = scratch, m = scratch + 16 * vStride
    transformInput(source, images: images, channels: inputs, h: h, w: w, padding: padding, th: th, tw: tw, into: v)
    for xi in 0..<16 {
        sgemmBlock(transposeA: false, transposeB: false, m: outputs, n: tiles, k: inputs,
                   a: u + xi * outputs * inputs, lda: inputs, b: v + xi * vStride, ldb: tiles,
                   c: m + xi * stride, ldc: tiles, betaZero: true)
    }
    for (position, image) in images.enumerated() {
        for o in 0..<outputs {
            let plane = out + (image * outputs + o) * oh * ow
            let offset = Lanes(repeating: bias?[o] ?? 0)
            for ty in 0..<th {
                var group = 0
                while group < tw {
                    // Eight tiles at once: m[ξ] of tiles group..<group+8 (lanes past the row's
                    // last tile read values of the next tiles or of the plane's slack, unused).
                    let at = m + o * tiles + (position * th + ty) * tw + group
                    @inline(__always) func row(_ r: Int) -> (Lanes, Lanes, Lanes, Lanes) {
                        (load8(at + (r * 4) * stride), load8(at + (r * 4 + 1) * stride),
                         load8(at + (r * 4 + 2) * stride), load8(at + (r * 4 + 3) * stride))
                    }
                    let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
                    // Aᵀ m: 2 rows; then each row times A: 2 values.
                    let t0 = (m0.0 + m1.0 + m2.0, m0.1 + m1.1 + m2.1, m0.2 + m1.2 + m2.2, m0.3 + m1.3 + m2.3)
                    let t1 = (m1.0 - m2.0 - m3.0, m1.1 - m2.1 - m3.1, m1.2 - m2.2 - m3.2, m1.3 - m2.3 - m3.3)
                    var y00 = t0.0 + t0.1 + t0.2 + offset, y01 = t0.1 - t0.2 - t0.3 + offset
                    var y10 = t1.0 + t1.1 + t1.2 + offset, y11 = t1.1 - t1.2 - t1.3 + offset
                    if rectified {
                        y00.replace(with: 0, where: y00 .< 0); y01.replace(with: 0, where: y01 .< 0)
                        y10.replace(with: 0, where: y10 .< 0); y11.replace(with: 0, where: y11 .< 0)
                    }
                    let y = 2 * ty, x = 2 * group
                    let top = interleave(y00, y01), bottom = interleave(y10, y11)
                    let values = Swift.min(16, ow - x)
                    @inline(__always) func put(_ line: SIMD16<Float>, _ to: UnsafeMutablePointer<Float>) {
                        if values == 16 {
                            UnsafeMutableRawPointer(to).storeBytes(of: line, as: SIMD16<Float>.self)
                            return
                        }
                        var i = 0
                        if values >= 8 {
                            UnsafeMutableRawPointer(to).storeBytes(of: line.lowHalf, as: Lanes.self)
                            i = 8
                        }
                        while i < values { to[i] = line[i]; i += 1 }
                    }
                    put(top, plane + y * ow + x)
                    if y + 1 < oh { put(bottom, plane + (y + 1) * ow + x) }
                    group += 8
                }
            }
        }
    }
}

/// The scratch values of a chunk of `tiles` tiles with `first` and `second` values per tile in its
/// two transforms.
private func winogradScratch(tiles: Int, _ first: Int, _ second: Int) -> Int {
    16 * (planeStride(first * tiles) + planeStride(second * tiles))
}

/// Images per chunk for tiles of `tilesPerImage` and `values` per tile (at least one image).
private func winogradChunk(tilesPerImage: Int, values: Int, images: Int) -> Int {
    Swift.max(1, Swift.min(images, winogradChunkValues / Swift.max(1, 16 * values * tilesPerImage)))
}

/// `convolution2D` by F(2x2, 3x3): (N, F, OH, OW), with the bias, and max(0, ·) when `rectified`.
func winogradConvolutionForward(_ x: Tensor, weight: Tensor, bias: Tensor?, window: Window2D, rectified: Bool) -> Tensor {
    let g = window.geometry(x.shape, "convolution2D")
    let (n, channels, outputs) = (g.n, g.c, weight.shape[1])
    let padding = (window.paddingHeight, window.paddingWidth)
    let th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2
    let u = weight.scalars.withUnsafeBufferPointer { transformFilters($0.baseAddress!, inputs: channels, outputs: outputs) }
    let parts = batchParts(n)
    let chunk = winogradChunk(tilesPerImage: th * tw, values: channels + outputs, images: parts.map(\.count).max() ?? 1)
    let perPart = winogradScratch(tiles: chunk * th * tw, channels, outputs)
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * perPart)
    defer { scratch.deallocate() }
    let zeros = [Float](repeating: 0, count: outputs)
    return Tensor(shape: [n, outputs, g.oh, g.ow]) { result in
        x.scalars.withUnsafeBufferPointer { sourceBuffer in
        u.withUnsafeBufferPointer { uBuffer in
        (bias?.scalars ?? zeros).withUnsafeBufferPointer { biasBuffer in
            let (input, transformed, offsets, out) = (sourceBuffer.baseAddress!, uBuffer.baseAddress!, biasBuffer.baseAddress!, result.baseAddress!)
            runBatchParts(parts, work: n * th * tw * 16 * channels * outputs) { part, images in
                var first = images.lowerBound
                while first < images.upperBound {
                    let last = Swift.min(images.upperBound, first + chunk)
                    winogradConvolve(input, images: first..<last, inputs: channels, outputs: outputs, h: g.h, w: g.w, padding: padding,
                                     oh: g.oh, ow: g.ow, u: transformed, bias: offsets, rectified: rectified, out: out,
                                     scratch: scratch + part * perPart)
                    first = last
                }
            }
        }
        }
        }
    }
}

/// The gradients of a F(2x2, 3x3) convolution of `x` (N, C, H, W) by `weight` (C*9, F): for
/// the input (when `needsInput`), the weight and the bias, given the output gradient (N, F, OH,
/// OW), masked where `rectifiedOutput` is not positive when given. The weight and bias gradients
/// are summed part by part, in part order.
func winogradConvolutionBackward(_ gradient: Tensor, input x: Tensor, weight: Tensor, window: Window2D, needsInput: Bool,
                                 rectifiedOutput: Tensor?) -> (input: Tensor?, weight: Tensor, bias: Tensor) {
    let g = window.geometry(x.shape, "convolution2DBackward")
    let filters = weight.shape[1], channels = g.c
    // The rectified output masks the gradient where the transforms read it (no pass of its own).
    let padding = (window.paddingHeight, window.paddingWidth)
    // Per chunk of images: Z = A e Aᵀ of the (masked) output gradient, read by both products.
    // dW: S[ξ] (F, C) = Σ over tiles Z[ξ] (F, tiles) x V[ξ] (tiles, C), then Gᵀ S G per (f, c).
    // dx: the adjoint of the forward, W[ξ] (C, tiles) = U[ξ]ᵀ (C, F) x Z[ξ] (F, tiles), then
    // B W Bᵀ per tile, added where the tiles overlap (`transformInputAdjoint`).
    let th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2
    let parts = batchParts(g.n)
    let cp = lanePadded(channels)
    let chunk = Swift.min(winogradChunk(tilesPerImage: th * tw, values: cp + filters + (needsInput ? channels : 0),
                                        images: parts.map(\.count).max() ?? 1),
                          Swift.max(1, winogradWeightChunkTiles / (th * tw)))
    let staging = stagedValues(channels: channels, th: th, tw: tw)
    let adjointValues = needsInput ? 16 * planeStride(channels * chunk * th * tw) + footprintValues(th: th, tw: tw) : 0
    let perPart = winogradScratch(tiles: chunk * th * tw, cp, filters) + staging + adjointValues
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * perPart)
    defer { scratch.deallocate() }
    // U[ξ]ᵀ: the forward's transformed filters, (C, F) each.
    let uTransposed: [Float] = needsInput ? weight.scalars.withUnsafeBufferPointer { buffer in
        let u = transformFilters(buffer.baseAddress!, inputs: channels, outputs: filters)
        var transposed = [Float](repeating: 0, count: u.count)
        for xi in 0..<16 {
            for f in 0..<filters {
                for c in 0..<channels { transposed[(xi * channels + c) * filters + f] = u[(xi * filters + f) * channels + c] }
            }
        }
        return transposed
    } : []
    var partialSums = [Float](repeating: 0, count: parts.count * 16 * filters * channels)
    var partialBiases = [Float](repeating: 0, count: parts.count * filters)
    // Every value of dx is written (`transformInputAdjoint` writes whole planes).
    var inputGradient = Tensor(shape: needsInput ? x.shape : [0]) { _ in }
    let maskValues = rectifiedOutput ?? Tensor.zeros([0])
    x.scalars.withUnsafeBufferPointer { xBuffer in
    maskValues.scalars.withUnsafeBufferPointer { maskBuffer in
    gradient.scalars.withUnsafeBufferPointer { dyBuffer in
    partialSums.withUnsafeMutableBufferPointer { sumBuffer in
    partialBiases.withUnsafeMutableBufferPointer { biasBuffer in
    uTransposed.withUnsafeBufferPointer { uBuffer in
    inputGradient.scalars.withUnsafeMutableBufferPointer { dxBuffer in
        let (source, dy, sums, biases) = (xBuffer.baseAddress!, dyBuffer.baseAddress!, sumBuffer.baseAddress!, biasBuffer.baseAddress!)
        let mask = rectifiedOutput == nil ? nil : maskBuffer.baseAddress
        let (ut, dx) = (uBuffer.baseAddress, needsInput ? dxBuffer.baseAddress : nil)
        runBatchParts(parts, work: g.n * th * tw * 16 * channels * filters * (needsInput ? 2 : 1)) { part, images in
            let s = sums + part * 16 * filters * channels
            let staged = scratch + part * perPart
            staged.initialize(repeating: 0, count: staging)
            // The adjoint's quarters (with the input gradient): last in the part's scratch, zeroed
            // once (their slack stays 0).
            let quarters = needsInput ? staged + perPart - footprintValues(th: th, tw: tw) : staged
            if needsInput { quarters.initialize(repeating: 0, count: footprintValues(th: th, tw: tw)) }
            var first = images.lowerBound
            while first < images.upperBound {
                let last = Swift.min(images.upperBound, first + chunk)
                let tiles = (last - first) * th * tw
                let vStride = planeStride(cp * tiles), zStride = planeStride(filters * tiles), wStride = planeStride(channels * tiles)
                let v = staged + staging, z = v + 16 * vStride
                transformInputByTiles(source, images: first..<last, channels: channels, h: g.h, w: g.w, padding: padding, th: th, tw: tw,
                                      into: v, staged: staged)
                transformGradient(dy, mask: mask, images: first..<last, filters: filters, oh: g.oh, ow: g.ow, th: th, tw: tw, into: z,
                                  biases: biases + part * filters)
                for xi in 0..<16 {
                    sgemmBlock(transposeA: false, transposeB: false, m: filters, n: channels, k: tiles,
                               a: z + xi * zStride, lda: tiles, b: v + xi * vStride, ldb: cp,
                               c: s + xi * filters * channels, ldc: channels, accumulate: first > images.lowerBound)
                }
                if let dx, let ut {
                    let adjoint = z + 16 * zStride
                    for xi in 0..<16 {
                        sgemmBlock(transposeA: false, transposeB: false, m: channels, n: tiles, k: filters,
                                   a: ut + xi * channels * filters, lda: filters, b: z + xi * zStride, ldb: tiles,
                                   c: adjoint + xi * wStride, ldc: tiles, betaZero: true)
                    }
                    transformInputAdjoint(adjoint, images: first..<last, channels: channels, h: g.h, w: g.w, padding: padding,
                                          th: th, tw: tw, into: dx, quarters: quarters)
                }
                first = last
            }
        }
    }
    }
    }
    }
    }
    }
    }
    let sum = sumOverParts(partialSums, parts: parts.count, size: 16 * filters * channels)
    var weightGradient = [Float](repeating: 0, count: channels * 9 * filters)
    sum.withUnsafeBufferPointer { buffer in
        let sum = buffer.baseAddress!
        for f in 0..<filters {
            for c in 0..<channels {
                // Gᵀ S G: S is 4x4 (ξ = row * 4 + column, the columns in the lanes); Gᵀ is 3x4.
                @inline(__always) func row(_ k: Int) -> SIMD4<Float> {
                    let at = sum + k * 4 * filters * channels + f * channels + c
                    return SIMD4(at[0], at[filters * channels], at[2 * filters * channels], at[3 * filters * channels])
                }
                let s0 = row(0), s1 = row(1), s2 = row(2), s3 = row(3)
                let t = (s0 + 0.5 * (s1 + s2), 0.5 * (s1 - s2), 0.5 * (s1 + s2) + s3)   // Gᵀ S: 3 rows of 4
                // (Gᵀ S) G: each row's 4 values become 3.
                @inline(__always) func put(_ r: SIMD4<Float>, _ ky: Int) {
                    let at = ((c * 3 + ky) * 3) * filters + f
                    weightGradient[at] = r[0] + 0.5 * (r[1] + r[2])
                    weightGradient[at + filters] = 0.5 * (r[1] - r[2])
                    weightGradient[at + 2 * filters] = 0.5 * (r[1] + r[2]) + r[3]
                }
                put(t.0, 0); put(t.1, 1); put(t.2, 2)
            }
        }
    }
    return (needsInput ? inputGradient : nil, Tensor(weightGradient, shape: [channels * 9, filters]),
            Tensor(sumOverParts(partialBiases, parts: parts.count, size: filters), shape: [filters]))
}

/// Z[ξ][f][p] = (A e Aᵀ)[ξ] for the 2x2 blocks e of the output gradient (values past oh, ow, and
/// where `mask` is given and not positive: 0),
/// and each filter's gradient summed into `biases`. Eight blocks at once: the even and odd
/// lanes of 16 values of a row are the blocks' two columns.
private func transformGradient(_ dy: UnsafePointer<Float>, mask: UnsafePointer<Float>?, images: Range<Int>, filters: Int, oh: Int, ow: Int, th: Int, tw: Int,
                               into z: UnsafeMutablePointer<Float>, biases: UnsafeMutablePointer<Float>) {
    let tiles = images.count * th * tw
    let stride = planeStride(filters * tiles)
    let width = lineWidth(tilesWide: tw)
    // Two sets of two lines, each copied a row of tiles ahead, as in `transformInput`.
    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 4 * width)
    buffers.initialize(repeating: 0, count: 4 * width)
    defer { buffers.deallocate() }
    // Filter by filter, then image by image: whole stores, as in `transformInput`.
    for f in 0..<filters {
        for (position, image) in images.enumerated() {
            let plane = dy + (image * filters + f) * oh * ow
            let planeMask = mask.map { $0 + (image * filters + f) * oh * ow }
            if planeMask == nil { biases[f] += laneSum(plane, count: oh * ow) }
            @inline(__always) func copyRows(_ ty: Int) {
                let into = buffers + (ty & 1) * 2 * width
                copyLine(plane, mask: planeMask, y: 2 * ty, h: oh, w: ow, shift: 0, into: into, width: width)
                copyLine(plane, mask: planeMask, y: 2 * ty + 1, h: oh, w: ow, shift: 0, into: into + width, width: width)
            }
            copyRows(0)
            for ty in 0..<th {
                let lines = buffers + (ty & 1) * 2 * width
                if ty + 1 < th { copyRows(ty + 1) }
                // Masked, the bias gradient sums the lines (zero past the row's end).
                if planeMask != nil { biases[f] += laneSum(lines, count: 2 * width) }
                var group = 0
                while group < tw {
                    let upper = load16(lines + 2 * group), lower = load16(lines + width + 2 * group)
                    let e00 = upper.evenHalf, e01 = upper.oddHalf, e10 = lower.evenHalf, e11 = lower.oddHalf
                    // A = (Aᵀ)ᵀ is 4x2: rows (1, 0), (1, 1), (1, -1), (0, -1). A e: column 0 of e
                    // gives a, column 1 gives b; then (A e) Aᵀ: each row (a_r, b_r) becomes
                    // (a_r, a_r + b_r, a_r - b_r, -b_r).
                    let a = (e00, e00 + e10, e00 - e10, -e10)
                    let b = (e01, e01 + e11, e01 - e11, -e11)
                    let out = z + f * tiles + (position * th + ty) * tw + group
                    @inline(__always) func put(_ a: Lanes, _ b: Lanes, _ r: Int) {
                        storeLanes(a, out + (r * 4 + 0) * stride)
                        storeLanes(a + b, out + (r * 4 + 1) * stride)
                        storeLanes(a - b, out + (r * 4 + 2) * stride)
                        storeLanes(-b, out + (r * 4 + 3) * stride)
                    }
                    put(a.0, b.0, 0); put(a.1, b.1, 1); put(a.2, b.2, 2); put(a.3, b.3, 3)
                    group += 8
                }
            }
        }
    }
}
