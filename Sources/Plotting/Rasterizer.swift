/// A point in pixel (or logical) coordinates, y pointing down.
struct Point: Equatable {
    var x: Double
    var y: Double
    init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// An axis-aligned rectangle, y pointing down.
struct Rect: Equatable {
    var x: Double
    var y: Double
    var width: Double
    var height: Double
    var minX: Double { x }
    var minY: Double { y }
    var maxX: Double { x + width }
    var maxY: Double { y + height }
    var midX: Double { x + width / 2 }
    var midY: Double { y + height / 2 }
    func insetBy(_ dx: Double, _ dy: Double) -> Rect { Rect(x: x + dx, y: y + dy, width: width - 2 * dx, height: height - 2 * dy) }
    func contains(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
}

/// Anti-aliased polygon coverage by signed-area accumulation (the method of Raph Levien's
/// font-rs, after libart and stb_truetype): each edge adds, to the cells of the rows it
/// crosses, the signed area it sweeps; a running sum along a row gives each pixel's exact
/// coverage. Shapes added between two `composite` calls are merged: with every polygon
/// wound the same way (enforced in `addPolygon`) overlaps add up and are clamped at 1, so
/// a polyline drawn as one quad per segment has no seams or darker joins. This is why
/// thick lines do not use libgd's own (integer, blotchy) thick anti-aliased lines.
struct CoverageRasterizer {
    let width: Int
    let height: Int
    /// Row-major cells, `width + 2` per row: edges clamped to the right border write up to
    /// two cells past it.
    private var cells: [Float]
    private var stride: Int { width + 2 }
    private var minRow = Int.max, maxRow = -1, minColumn = Int.max, maxColumn = -1

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = [Float](repeating: 0, count: (width + 2) * height)
    }

    var isEmpty: Bool { maxRow < 0 }

    /// Adds a closed polygon (the last point joins the first).
    mutating func addPolygon(_ points: [Point]) {
        guard points.count >= 3 else { return }
        var area = 0.0
        for i in points.indices {
            let a = points[i], b = points[(i + 1) % points.count]
            area += a.x * b.y - b.x * a.y
        }
        if area < 0 {
            for i in points.indices.reversed() { addEdge(points[i], points[(i + points.count - 1) % points.count]) }
        } else {
            for i in points.indices { addEdge(points[i], points[(i + 1) % points.count]) }
        }
    }

    /// Adds a quadrilateral without building an array (the per-segment shape of strokes).
    mutating func addQuad(_ a: Point, _ b: Point, _ c: Point, _ d: Point) {
        let area = (a.x * b.y - b.x * a.y) + (b.x * c.y - c.x * b.y) + (c.x * d.y - d.x * c.y) + (d.x * a.y - a.x * d.y)
        if area < 0 {
            addEdge(a, d); addEdge(d, c); addEdge(c, b); addEdge(b, a)
        } else {
            addEdge(a, b); addEdge(b, c); addEdge(c, d); addEdge(d, a)
        }
    }

    mutating func addTriangle(_ a: Point, _ b: Point, _ c: Point) {
        let area = (a.x * b.y - b.x * a.y) + (b.x * c.y - c.x * b.y) + (c.x * a.y - a.x * c.y)
        if area < 0 {
            addEdge(a, c); addEdge(c, b); addEdge(b, a)
        } else {
            addEdge(a, b); addEdge(b, c); addEdge(c, a)
        }
    }

    /// Adds one edge, clipped to the rows of the buffer and clamped to its columns (moving an
    /// edge's left part onto x = 0 keeps every visible pixel's winding, so clamping is exact).
    mutating func addEdge(_ a: Point, _ b: Point) {
        guard a.y != b.y, a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let h = Double(height), w = Double(width)
        if a.x >= 0 && a.x <= w && b.x >= 0 && b.x <= w && a.y >= 0 && a.y <= h && b.y >= 0 && b.y <= h {
            accumulate(a, b)
            return
        }
        // Clip to 0...h in y (parametric).
        if (a.y <= 0 && b.y <= 0) || (a.y >= h && b.y >= h) { return }
        var p0 = a, p1 = b
        func at(_ y: Double) -> Point { Point(a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y) }
        if a.y < 0 { p0 = at(0) } else if a.y > h { p0 = at(h) }
        if b.y < 0 { p1 = at(0) } else if b.y > h { p1 = at(h) }
        // Split where the edge crosses x = 0 or x = w, then clamp each piece.
        var split0 = 2.0, split1 = 2.0
        if p0.x * p1.x < 0 { split0 = -p0.x / (p1.x - p0.x) }
        if (p0.x - w) * (p1.x - w) < 0 { split1 = (w - p0.x) / (p1.x - p0.x) }
        if split0 > split1 { swap(&split0, &split1) }
        func point(_ t: Double) -> Point {
            Point(min(max(p0.x + (p1.x - p0.x) * t, 0), w), p0.y + (p1.y - p0.y) * t)
        }
        var start = 0.0
        if split0 < 1 { accumulate(point(start), point(split0)); start = split0 }
        if split1 < 1 { accumulate(point(start), point(split1)); start = split1 }
        accumulate(point(start), point(1))
    }

    /// font-rs `draw_line`: adds the signed area swept by an edge inside 0...w x 0...h.
    private mutating func accumulate(_ a: Point, _ b: Point) {
        if a.y == b.y { return }
        let (direction, p0, p1): (Double, Point, Point) = a.y < b.y ? (1, a, b) : (-1, b, a)
        let dxdy = (p1.x - p0.x) / (p1.y - p0.y)
        var x = p0.x
        let firstRow = max(Int(p0.y), 0)
        let lastRow = min(Int(p1.y.rounded(.up)), height)
        guard firstRow < lastRow else { return }
        minRow = min(minRow, firstRow)
        maxRow = max(maxRow, lastRow - 1)
        minColumn = min(minColumn, Int(min(p0.x, p1.x)))
        maxColumn = max(maxColumn, Int(max(p0.x, p1.x).rounded(.up)) + 1)
        let stride = self.stride
        cells.withUnsafeMutableBufferPointer { cells in
            for row in firstRow..<lastRow {
                let lineStart = row * stride
                let dy = min(Double(row + 1), p1.y) - max(Double(row), p0.y)
                let xNext = x + dxdy * dy
                let d = dy * direction
                let (x0, x1) = x < xNext ? (x, xNext) : (xNext, x)
                let x0Floor = x0.rounded(.down)
                let x0i = Int(x0Floor)
                let x1Ceil = x1.rounded(.up)
                let x1i = Int(x1Ceil)
                if x1i <= x0i + 1 {
                    let xmf = 0.5 * (x + xNext) - x0Floor
                    cells[lineStart + x0i] += Float(d - d * xmf)
                    cells[lineStart + x0i + 1] += Float(d * xmf)
                } else {
                    let s = 1 / (x1 - x0)
                    let x0f = x0 - x0Floor
                    let a0 = 0.5 * s * (1 - x0f) * (1 - x0f)
                    let x1f = x1 - x1Ceil + 1
                    let am = 0.5 * s * x1f * x1f
                    cells[lineStart + x0i] += Float(d * a0)
                    if x1i == x0i + 2 {
                        cells[lineStart + x0i + 1] += Float(d * (1 - a0 - am))
                    } else {
                        let a1 = s * (1.5 - x0f)
                        cells[lineStart + x0i + 1] += Float(d * (a1 - a0))
                        if x0i + 2 < x1i - 1 {
                            for xi in (x0i + 2)..<(x1i - 1) { cells[lineStart + xi] += Float(d * s) }
                        }
                        let a2 = a1 + Double(x1i - x0i - 3) * s
                        cells[lineStart + x1i - 1] += Float(d * (1 - a2 - am))
                    }
                    cells[lineStart + x1i] += Float(d * am)
                }
                x = xNext
            }
        }
    }

    /// Calls `body(x, y, coverage)` for every pixel with coverage > 0 inside the clip
    /// (pixel bounds, end-exclusive), then clears the buffer.
    mutating func drain(clipX: Range<Int>, clipY: Range<Int>, _ body: (Int, Int, Float) -> Void) {
        guard !isEmpty else { return }
        let columns = max(minColumn, 0)..<min(maxColumn + 1, width + 2)
        let stride = self.stride
        let width = self.width
        cells.withUnsafeMutableBufferPointer { cells in
            for row in minRow...maxRow {
                let lineStart = row * stride
                let visibleRow = clipY.contains(row)
                var sum: Float = 0
                for column in columns {
                    sum += cells[lineStart + column]
                    cells[lineStart + column] = 0
                    if visibleRow && column < width && clipX.contains(column) {
                        let coverage = min(abs(sum), 1)
                        if coverage > 0.002 { body(column, row, coverage) }
                    }
                }
            }
        }
        minRow = .max; maxRow = -1; minColumn = .max; maxColumn = -1
    }
}
