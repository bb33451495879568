import Foundation

/// Draws a `Diagram`: sizes each node from its text, places the nodes (given positions or the
/// layered layout), fits the drawing to the figure, then paints regions, edges, nodes and
/// labels, back to front.
struct DiagramRenderer {
    let diagram: Diagram

    static let labelFont = 11.5
    static let labelColor = Color(hex: 0x4d4d4d)
    static let regionFont = 12.0

    /// Where everything goes, in the canvas's logical pixels.
    struct Layout {
        var centers: [Point]
        var sizes: [(width: Double, height: Double)]
        /// Per edge, the points it passes through between its ends.
        var routes: [[Point]]
        /// Laid-out diagrams draw their edges as curves leaving and entering nodes along the flow.
        var flow: Diagram.Direction?
        /// Natural (diagram) coordinates to canvas: x * scale + offset.
        var scale: Double
        var offset: Point
        var naturalHeight: Int

        func place(_ x: Double, _ y: Double) -> Point { Point(x * scale + offset.x, y * scale + offset.y) }
    }

    // MARK: Sizes

    func lineHeight(_ size: Double) -> Double { size * 1.3 }

    /// The text block of a node: its width and height.
    func textSize(_ node: Diagram.Node) -> (width: Double, height: Double) {
        let labelLines = node.label.isEmpty ? [] : node.label.components(separatedBy: "\n")
        let detailLines = node.detail.map { $0.components(separatedBy: "\n") } ?? []
        let detailSize = node.fontSize * 0.85
        let widths = labelLines.map { Canvas.measure($0, size: node.fontSize, bold: node.bold, italic: node.italic) }
            + detailLines.map { Canvas.measure($0, size: detailSize, bold: false) }
        let height = Double(labelLines.count) * lineHeight(node.fontSize) + Double(detailLines.count) * lineHeight(detailSize)
        return (widths.max() ?? 0, height)
    }

    func size(_ node: Diagram.Node) -> (width: Double, height: Double) {
        let text = textSize(node)
        var w: Double, h: Double
        switch node.shape {
        case .box, .square: (w, h) = (text.width + 20, text.height + 10)
        case .circle:
            let d = max((text.width * text.width + text.height * text.height).squareRoot() + 6, 26)
            (w, h) = (d, d)
        case .ellipse: (w, h) = (text.width * 1.3 + 14, text.height * 1.3 + 8)
        case .text: (w, h) = (text.width + 4, text.height)
        case .junction: (w, h) = (6, 6)
        }
        w = max(w, node.minimumWidth)
        h = max(h, node.minimumHeight)
        if node.shape == .circle { w = max(w, h); h = w }
        return (w, h)
    }

    // MARK: Layout

    func layout() -> Layout {
        let nodes = diagram.nodes
        let sizes = nodes.map(size)
        let index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var centers: [Point]
        var routes: [[Point]]
        var flow: Diagram.Direction? = nil
        if nodes.allSatisfy({ $0.x != nil }) {
            centers = nodes.map { Point($0.x!, $0.y!) }
            routes = diagram.edges.map { $0.via.map { Point($0.x, $0.y) } }
        } else {
            let settings = diagram.layoutSettings
            let labels = diagram.edges.compactMap(\.label)
            let labelWidth = labels.map { Canvas.measure($0, size: Self.labelFont, bold: false) }.max() ?? 0
            let gap = settings.layerGap ?? (settings.direction == .topToBottom
                ? (labels.isEmpty ? 30 : 38) : max(44, labelWidth + 28))
            let result = LayeredLayout.place(sizes: sizes, edges: diagram.edges.map { (index[$0.from]!, index[$0.to]!) },
                                             direction: settings.direction, layerGap: gap, nodeGap: settings.nodeGap)
            centers = result.centers
            routes = result.routes
            flow = settings.direction
        }

        // Everything that must fit: (position, extents left/right/up/down in fixed pixels).
        var items: [(p: Point, left: Double, right: Double, up: Double, down: Double)] = []
        for (c, s) in zip(centers, sizes) { items.append((c, s.width / 2, s.width / 2, s.height / 2, s.height / 2)) }
        for route in routes { for p in route { items.append((p, 0, 0, 0, 0)) } }
        for region in diagram.regions {
            if let r = region.rect {
                items.append((Point(r.x, r.y), 0, 0, 0, 0))
                items.append((Point(r.x + r.width, r.y + r.height), 0, 0, 0, 0))
            } else {
                let top = region.label.isEmpty ? 0 : Self.regionFont * 1.5
                for member in region.members {
                    let i = index[member]!
                    let s = sizes[i]
                    items.append((centers[i], s.width / 2 + region.padding, s.width / 2 + region.padding,
                                  s.height / 2 + region.padding + top, s.height / 2 + region.padding))
                }
            }
        }
        for note in diagram.notes {
            let w = Canvas.measure(note.text, size: note.size, bold: false, italic: note.italic)
            let (left, right): (Double, Double)
            switch note.anchor {
            case .left: (left, right) = (0, w)
            case .center: (left, right) = (w / 2, w / 2)
            case .right: (left, right) = (w, 0)
            }
            items.append((Point(note.x, note.y), left, right, note.size * Canvas.capHeight, note.size * Canvas.descent))
        }

        func extentX(_ s: Double) -> (low: Double, high: Double) {
            (items.map { $0.p.x * s - $0.left }.min()!, items.map { $0.p.x * s + $0.right }.max()!)
        }
        func extentY(_ s: Double) -> (low: Double, high: Double) {
            (items.map { $0.p.y * s - $0.up }.min()!, items.map { $0.p.y * s + $0.down }.max()!)
        }
        let pad = Style.padding * 1.2
        let top = diagram.title.isEmpty ? pad : Style.titleFont * 2.4
        let availableWidth = Double(diagram.width) - 2 * pad
        let availableHeight = diagram.height.map { Double($0) - top - pad }
        func fits(_ s: Double) -> Bool {
            let x = extentX(s)
            if x.high - x.low > availableWidth { return false }
            if let availableHeight {
                let y = extentY(s)
                if y.high - y.low > availableHeight { return false }
            }
            return true
        }
        // The largest scale up to 1 at which it fits (the extents grow with the scale).
        var scale = 1.0
        if !fits(1) {
            var low = 0.02, high = 1.0
            for _ in 0..<40 {
                let middle = (low + high) / 2
                if fits(middle) { low = middle } else { high = middle }
            }
            scale = low
        }
        let x = extentX(scale), y = extentY(scale)
        let offsetX = pad + (availableWidth - (x.high - x.low)) / 2 - x.low
        let offsetY = top + max(((availableHeight ?? 0) - (y.high - y.low)) / 2, 0) - y.low
        let naturalHeight = Int((top + (y.high - y.low) + pad).rounded(.up))
        let offset = Point(offsetX, offsetY)
        func place(_ p: Point) -> Point { Point(p.x * scale + offset.x, p.y * scale + offset.y) }
        return Layout(centers: centers.map(place), sizes: sizes, routes: routes.map { $0.map(place) }, flow: flow,
                      scale: scale, offset: offset, naturalHeight: max(naturalHeight, 20))
    }

    // MARK: Drawing

    func draw(_ layout: Layout, on canvas: Canvas) {
        let nodes = diagram.nodes
        let index = Dictionary(nodes.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        for region in diagram.regions { drawRegion(region, layout: layout, index: index, on: canvas) }
        var labels: [(text: String, at: Point, horizontal: HorizontalAnchor, vertical: VerticalAnchor)] = []
        let ports = layout.flow.map { portOffsets(layout: layout, index: index, flow: $0) }
        for (k, (edge, route)) in zip(diagram.edges, layout.routes).enumerated() {
            let a = index[edge.from]!, b = index[edge.to]!
            if let label = drawEdge(edge, from: a, to: b, route: route, ports: ports.map { ($0.exit[k], $0.entry[k]) } ?? (0, 0),
                                    layout: layout, on: canvas) {
                labels.append(label)
            }
        }
        for (i, node) in nodes.enumerated() { drawNode(node, center: layout.centers[i], size: layout.sizes[i], on: canvas) }
        for label in labels {
            let w = canvas.measure(label.text, size: Self.labelFont)
            let h = Self.labelFont * 1.25
            var left = label.at.x
            if label.horizontal == .center { left -= w / 2 } else if label.horizontal == .right { left -= w }
            var top = label.at.y - h / 2
            if label.vertical == .top { top = label.at.y - 2 } else if label.vertical == .bottom { top = label.at.y - h + 2 }
            // A light halo keeps the label readable where it crosses a line.
            canvas.addPolygon(Self.roundedRect(Rect(x: left - 2, y: top, width: w + 4, height: h), radius: 3))
            canvas.flush(color: Color.white.withAlpha(0.85))
            canvas.text(label.text, at: label.at, size: Self.labelFont, color: Self.labelColor,
                        horizontal: label.horizontal, vertical: label.vertical)
        }
        for note in diagram.notes {
            canvas.text(note.text, at: layout.place(note.x, note.y), size: note.size, color: note.color,
                        horizontal: note.anchor, vertical: .baseline, italic: note.italic)
        }
        if !diagram.title.isEmpty {
            canvas.text(diagram.title, at: Point(Double(diagram.width) / 2, Style.titleFont * 0.75), size: Style.titleFont,
                        horizontal: .center, vertical: .top)
        }
    }

    private func drawRegion(_ region: Diagram.Region, layout: Layout, index: [String: Int], on canvas: Canvas) {
        let rect: Rect
        if let r = region.rect {
            let a = layout.place(r.x, r.y), b = layout.place(r.x + r.width, r.y + r.height)
            rect = Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y)
        } else {
            let top = region.label.isEmpty ? 0 : Self.regionFont * 1.5
            let boxes = region.members.map { id -> Rect in
                let i = index[id]!
                let c = layout.centers[i], s = layout.sizes[i]
                return Rect(x: c.x - s.width / 2, y: c.y - s.height / 2, width: s.width, height: s.height)
            }
            guard let minX = boxes.map(\.minX).min(), let maxX = boxes.map(\.maxX).max(),
                  let minY = boxes.map(\.minY).min(), let maxY = boxes.map(\.maxY).max() else { return }
            let p = region.padding
            rect = Rect(x: minX - p, y: minY - p - top, width: maxX - minX + 2 * p, height: maxY - minY + 2 * p + top)
        }
        let outline = { (grow: Double) in Self.roundedRect(rect.insetBy(-grow, -grow), radius: 8 + grow) }
        canvas.addPolygon(outline(0))
        canvas.flush(color: region.fill)
        strokeClosed(outline, width: 1.1, dashed: region.dashed, on: canvas)
        canvas.flush(color: region.stroke)
        canvas.text(region.label, at: Point(rect.minX + 9, rect.minY + 7), size: Self.regionFont, color: Self.labelColor,
                    horizontal: .left, vertical: .top)
    }

    private func drawNode(_ node: Diagram.Node, center c: Point, size: (width: Double, height: Double), on canvas: Canvas) {
        let rect = Rect(x: c.x - size.width / 2, y: c.y - size.height / 2, width: size.width, height: size.height)
        let fill = node.fill ?? Diagram.defaultFill
        let stroke = node.stroke ?? (node.fill == nil ? Diagram.defaultStroke : fill.darkened(0.45))
        // The outline grown outwards by `grow` (inwards when negative): offsets of the same shape.
        var outline: ((Double) -> [Point])? = nil
        switch node.shape {
        case .box:
            let radius = min(6, size.height / 2)
            outline = { Self.roundedRect(rect.insetBy(-$0, -$0), radius: radius + $0) }
        case .square: outline = { Self.roundedRect(rect.insetBy(-$0, -$0), radius: 0) }
        case .circle: outline = { Canvas.circle(center: c, radius: size.width / 2 + $0) }
        case .ellipse: outline = { Self.ellipse(center: c, radiusX: size.width / 2 + $0, radiusY: size.height / 2 + $0) }
        case .text: break
        case .junction:
            canvas.addCircle(center: c, radius: size.width / 2)
            canvas.flush(color: node.stroke ?? node.fill ?? Color(hex: 0x404040))
        }
        if let outline {
            canvas.addPolygon(outline(0))
            canvas.flush(color: fill)
            strokeClosed(outline, width: 1.2, dashed: node.dashed, on: canvas)
            canvas.flush(color: stroke)
        }
        // The text block, centred: label lines, then detail lines.
        let labelLines = node.label.isEmpty ? [] : node.label.components(separatedBy: "\n")
        let detailLines = node.detail.map { $0.components(separatedBy: "\n") } ?? []
        let detailSize = node.fontSize * 0.85
        var y = c.y - textSize(node).height / 2
        for line in labelLines {
            let h = lineHeight(node.fontSize)
            canvas.text(line, at: Point(c.x, y + h / 2), size: node.fontSize, color: node.textColor, horizontal: .center,
                        vertical: .center, bold: node.bold, italic: node.italic)
            y += h
        }
        for line in detailLines {
            let h = lineHeight(detailSize)
            canvas.text(line, at: Point(c.x, y + h / 2), size: detailSize, color: Color(hex: 0x555555), horizontal: .center,
                        vertical: .center)
            y += h
        }
    }

    /// Where each laid-out edge leaves its source and enters its target, across the flow from
    /// the node's centre: edges meeting at one node spread over its side, in the order of their
    /// other ends, so that their arrowheads do not pile up.
    private func portOffsets(layout: Layout, index: [String: Int], flow: Diagram.Direction) -> (exit: [Double], entry: [Double]) {
        let edges = diagram.edges
        var exit = [Double](repeating: 0, count: edges.count), entry = exit
        func across(_ p: Point) -> Double { flow == .topToBottom ? p.x : p.y }
        func breadth(_ i: Int) -> Double { flow == .topToBottom ? layout.sizes[i].width : layout.sizes[i].height }
        func spread(_ members: [(edge: Int, key: Double)], node: Int, into offsets: inout [Double]) {
            guard members.count > 1 else { return }
            let step = min(14, max(breadth(node) - 14, 0) / Double(members.count - 1))
            for (rank, member) in members.sorted(by: { ($0.key, $0.edge) < ($1.key, $1.edge) }).enumerated() {
                offsets[member.edge] = (Double(rank) - Double(members.count - 1) / 2) * step
            }
        }
        for node in diagram.nodes.indices {
            let id = diagram.nodes[node].id
            let incoming = edges.indices.filter { edges[$0].to == id }.map { k in
                (edge: k, key: across(layout.routes[k].last ?? layout.centers[index[edges[k].from]!]))
            }
            let outgoing = edges.indices.filter { edges[$0].from == id }.map { k in
                (edge: k, key: across(layout.routes[k].first ?? layout.centers[index[edges[k].to]!]))
            }
            spread(incoming, node: node, into: &entry)
            spread(outgoing, node: node, into: &exit)
        }
        return (exit, entry)
    }

    /// The point `offset` across the flow from a node's centre on its side facing `sign`
    /// (+1: down or right), on its outline.
    private func port(_ node: Diagram.Node, center c: Point, size: (width: Double, height: Double), offset: Double,
                      sign: Double, flow: Diagram.Direction) -> Point {
        let hw = size.width / 2, hh = size.height / 2
        let rounded = node.shape == .circle || node.shape == .ellipse
        if flow == .topToBottom {
            let depth = rounded ? hh * (1 - min((offset / hw) * (offset / hw), 0.9)).squareRoot() : hh
            return Point(c.x + offset, c.y + sign * depth)
        }
        let depth = rounded ? hw * (1 - min((offset / hh) * (offset / hh), 0.9)).squareRoot() : hw
        return Point(c.x + sign * depth, c.y + offset)
    }

    /// Strokes an edge and its arrowhead; returns where its label goes.
    private func drawEdge(_ edge: Diagram.Edge, from a: Int, to b: Int, route: [Point], ports: (exit: Double, entry: Double),
                          layout: Layout, on canvas: Canvas)
        -> (text: String, at: Point, horizontal: HorizontalAnchor, vertical: VerticalAnchor)?
    {
        let nodes = diagram.nodes
        let ca = layout.centers[a], cb = layout.centers[b]
        let sa = layout.sizes[a], sb = layout.sizes[b]
        var path: [Point]
        var labelSegment: (Point, Point)
        if let flow = layout.flow {
            // Leave and enter along the flow, through the dummy points, as smooth curves.
            let forward = flow == .topToBottom ? cb.y >= ca.y : cb.x >= ca.x
            let sign = forward ? 1.0 : -1.0
            let start = port(nodes[a], center: ca, size: sa, offset: ports.exit, sign: sign, flow: flow)
            let end = port(nodes[b], center: cb, size: sb, offset: ports.entry, sign: -sign, flow: flow)
            let knots = [start] + route + [end]
            path = [start]
            for k in 0..<(knots.count - 1) {
                let p = knots[k], q = knots[k + 1]
                let c1 = flow == .topToBottom ? Point(p.x, (p.y + q.y) / 2) : Point((p.x + q.x) / 2, p.y)
                let c2 = flow == .topToBottom ? Point(q.x, (p.y + q.y) / 2) : Point((p.x + q.x) / 2, q.y)
                for step in 1...20 {
                    let t = Double(step) / 20, u = 1 - t
                    let x = u * u * u * p.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * q.x
                    let y = u * u * u * p.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * q.y
                    path.append(Point(x, y))
                }
            }
            labelSegment = (knots[0], knots[1])
        } else {
            let first = route.first ?? cb, last = route.last ?? ca
            let start = boundary(of: nodes[a], center: ca, size: sa, toward: first)
            let end = boundary(of: nodes[b], center: cb, size: sb, toward: last)
            path = [start] + route + [end]
            let segments = Array(zip(path, path.dropFirst()))
            if let chosen = edge.labelSegment, segments.indices.contains(chosen) {
                labelSegment = segments[chosen]
            } else {
                labelSegment = segments.max { hypot($0.1.x - $0.0.x, $0.1.y - $0.0.y) < hypot($1.1.x - $1.0.x, $1.1.y - $1.0.y) }
                    ?? (start, end)
            }
        }
        let headLength = 6.5 + edge.width * 1.6
        var line = path
        if edge.arrow, let tip = path.last {
            line = Self.trimmed(path, by: headLength * 0.8)
            // The head points along the last stretch of the path, one head-length long.
            let base = Self.trimmed(path, by: headLength).last ?? tip
            let dx = tip.x - base.x, dy = tip.y - base.y
            let length = max(hypot(dx, dy), 1e-9)
            let ux = dx / length, uy = dy / length
            let back = Point(tip.x - ux * headLength, tip.y - uy * headLength)
            let half = headLength * 0.4
            canvas.addPolygon([tip, Point(back.x - uy * half, back.y + ux * half), Point(back.x + uy * half, back.y - ux * half)])
        }
        if edge.dashed {
            for piece in Canvas.dashes(line, on: 5, off: 3.5) { canvas.addStroke(piece, width: edge.width) }
        } else {
            canvas.addStroke(line, width: edge.width)
        }
        canvas.flush(color: edge.color)

        guard let text = edge.label, !text.isEmpty else { return nil }
        let (p, q) = labelSegment
        // (On a laid-out edge, the curve between two knots passes through their midpoint, by
        // symmetry, with the direction (2 dx, dy) going down or (dx, 2 dy) going right.)
        let middle = Point((p.x + q.x) / 2, (p.y + q.y) / 2)
        var dx = q.x - p.x, dy = q.y - p.y
        if let flow = layout.flow { if flow == .topToBottom { dx *= 2 } else { dy *= 2 } }
        let length = max(hypot(dx, dy), 1e-9)
        // The normal pointing up (right for a vertical stretch): "beside"; its opposite: "otherSide".
        var normal = Point(dy / length, -dx / length)
        if normal.y > 0.01 || (abs(normal.y) <= 0.01 && normal.x < 0) { normal = Point(-normal.x, -normal.y) }
        let flip = edge.labelPlacement == .otherSide
        let w = canvas.measure(text, size: Self.labelFont), h = Self.labelFont * 1.1
        if let flow = layout.flow {
            // Across the flow only (so it stays between the layers), as far as the slope of the
            // curve needs.
            // Beside the edge, away from the others entering its target (or leaving its source).
            let port = ports.entry != 0 ? ports.entry : ports.exit
            if flow == .topToBottom {
                let side = port != 0 ? (port < 0 ? -1.0 : 1.0) : (q.x > p.x + 1 ? -1.0 : 1.0)
                let distance = w / 2 + 5 + min(h / 2 * abs(dx / max(abs(dy), 1e-9)), 40)
                return (text, Point(middle.x + side * distance, middle.y), .center, .center)
            }
            let side = port != 0 ? (port < 0 ? -1.0 : 1.0) : (q.y > p.y + 1 ? 1.0 : -1.0)
            let distance = h / 2 + 4 + min(w / 2 * abs(dy / max(abs(dx), 1e-9)), 30)
            return (text, Point(middle.x, middle.y + side * distance), .center, .center)
        }
        if flip { normal = Point(-normal.x, -normal.y) }
        // Far enough along the normal that the label's box clears the line.
        let distance = w / 2 * abs(normal.x) + h / 2 * abs(normal.y) + 4
        return (text, Point(middle.x + normal.x * distance, middle.y + normal.y * distance), .center, .center)
    }

    /// Where the ray from a node's centre towards `target` leaves its outline.
    private func boundary(of node: Diagram.Node, center c: Point, size: (width: Double, height: Double), toward target: Point) -> Point {
        let dx = target.x - c.x, dy = target.y - c.y
        let length = hypot(dx, dy)
        guard length > 1e-9 else { return c }
        let hw = size.width / 2, hh = size.height / 2
        let t: Double
        switch node.shape {
        case .junction: return c
        case .circle: t = hw / length
        case .ellipse: t = 1 / ((dx / hw) * (dx / hw) + (dy / hh) * (dy / hh)).squareRoot()
        case .box, .square, .text: t = min(abs(dx) > 1e-9 ? hw / abs(dx) : .infinity, abs(dy) > 1e-9 ? hh / abs(dy) : .infinity)
        }
        // One pixel of air between an arrow and the outline it points at.
        let air = 1.0 / length
        return Point(c.x + dx * (t + air), c.y + dy * (t + air))
    }

    /// Strokes a closed outline `width` wide. Solid: the ring between the outline grown by half
    /// the width and shrunk by as much, one polygon through a cut (its inner loop wound the
    /// other way leaves the inside empty), so no line ends meet anywhere. Dashed: dashes along it.
    private func strokeClosed(_ outline: (Double) -> [Point], width: Double, dashed: Bool, on canvas: Canvas) {
        if dashed {
            let points = outline(0)
            guard let first = points.first else { return }
            for piece in Canvas.dashes(points + [first], on: 5, off: 3.5) { canvas.addStroke(piece, width: width) }
            return
        }
        let outer = outline(width / 2), inner = outline(-width / 2)
        guard let start = outer.first, let innerStart = inner.first else { return }
        canvas.addPolygon(outer + [start, innerStart] + inner.reversed())
    }

    /// `path` shortened by `length` at its end.
    static func trimmed(_ path: [Point], by length: Double) -> [Point] {
        var points = path
        var remaining = length
        while points.count >= 2 {
            let b = points[points.count - 1], a = points[points.count - 2]
            let segment = hypot(b.x - a.x, b.y - a.y)
            if segment > remaining {
                let t = (segment - remaining) / segment
                points[points.count - 1] = Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                return points
            }
            remaining -= segment
            points.removeLast()
        }
        return points
    }

    static func roundedRect(_ r: Rect, radius: Double) -> [Point] {
        let radius = min(radius, r.width / 2, r.height / 2)
        guard radius > 0.5 else {
            return [Point(r.minX, r.minY), Point(r.maxX, r.minY), Point(r.maxX, r.maxY), Point(r.minX, r.maxY)]
        }
        var points: [Point] = []
        let corners = [(Point(r.maxX - radius, r.minY + radius), -Double.pi / 2), (Point(r.maxX - radius, r.maxY - radius), 0),
                       (Point(r.minX + radius, r.maxY - radius), Double.pi / 2), (Point(r.minX + radius, r.minY + radius), Double.pi)]
        for (center, start) in corners {
            for k in 0...6 {
                let t = start + Double(k) / 6 * Double.pi / 2
                points.append(Point(center.x + radius * cos(t), center.y + radius * sin(t)))
            }
        }
        return points
    }

    static func ellipse(center c: Point, radiusX: Double, radiusY: Double) -> [Point] {
        (0..<64).map { k in
            let t = Double(k) / 64 * 2 * Double.pi
            return Point(c.x + radiusX * cos(t), c.y + radiusY * sin(t))
        }
    }
}
