/// A schematic drawn to PNG like the figures: boxes, circles and text joined by arrows (a
/// neuron, a network's layers, a computation graph, an LSTM cell).
///
/// Nodes go where their `x:y:` says, in logical pixels with y pointing down, as in SVG. A
/// diagram whose nodes have no positions is laid out from its edges instead, in layers (the
/// method of Sugiyama et al., 1981, as Graphviz's dot): see `layout(_:)`. The drawing is
/// centred in the figure; when it is wider than the figure (or taller than a height given),
/// its positions are pulled together until it fits, while text keeps its size, as in the plots.
///
///     Diagram(title: "z = w·x + b")
///         .node("x", "x", x: 0, y: 0, shape: .circle)
///         .node("sum", "Σ", x: 140, y: 0, shape: .circle)
///         .edge("x", "sum", label: "w")
///
/// A `Diagram` is a value: every chainable method returns a modified copy. Problems (an edge to
/// a node that does not exist, a node given twice) are kept and thrown by `pngData()`.
public struct Diagram: PNGRepresentable {
    /// How a node is drawn.
    public enum Shape: Sendable {
        /// A rectangle with rounded corners (the default).
        case box
        /// A rectangle with square corners.
        case square
        case circle
        case ellipse
        /// Text alone, no outline: a label an arrow can start or end at.
        case text
        /// A small dot where wires split or join.
        case junction
    }

    /// The direction of a laid-out diagram: where its edges point.
    public enum Direction: Sendable {
        case topToBottom, leftToRight
    }

    /// How an edge's label is placed.
    public enum LabelPlacement: Sendable {
        /// Beside the middle of the edge's longest segment: above a horizontal one, right of a vertical one.
        case beside
        /// Left of a vertical segment, below a horizontal one.
        case otherSide
    }

    struct Node {
        var id: String
        var label: String
        var detail: String?
        var x: Double?
        var y: Double?
        var shape: Shape
        var fill: Color?
        var stroke: Color?
        var textColor: Color
        var minimumWidth: Double
        var minimumHeight: Double
        var fontSize: Double
        var bold: Bool
        var italic: Bool
        var dashed: Bool
    }

    struct Edge {
        var from: String
        var to: String
        var label: String?
        var via: [(x: Double, y: Double)]
        var color: Color
        var width: Double
        var dashed: Bool
        var arrow: Bool
        var labelPlacement: LabelPlacement
        var labelSegment: Int?
    }

    struct Region {
        var label: String
        /// The nodes it surrounds, or its rectangle.
        var members: [String]
        var rect: (x: Double, y: Double, width: Double, height: Double)?
        var padding: Double
        var fill: Color
        var stroke: Color
        var dashed: Bool
    }

    struct Note {
        var text: String
        var x: Double
        var y: Double
        var size: Double
        var color: Color
        var anchor: HorizontalAnchor
        var italic: Bool
    }

    /// Laid-out diagrams: where edges point and the space between layers and between nodes.
    struct LayoutSettings {
        var direction: Direction = .topToBottom
        var layerGap: Double? = nil
        var nodeGap: Double = 28
    }

    public var title: String
    /// Size in logical pixels; the height is the drawing's own when not given.
    public var width: Int
    public var height: Int?
    /// Physical pixels per logical pixel.
    public var scale: Int

    var nodes: [Node] = []
    var edges: [Edge] = []
    var regions: [Region] = []
    var notes: [Note] = []
    var layoutSettings = LayoutSettings()
    var problems: [PlotError] = []

    /// Default node colours: a light fill and a darker outline.
    public static let defaultFill = Color(hex: 0xdfeaf6)
    public static let defaultStroke = Color(hex: 0x3d6fa8)

    public init(title: String = "", width: Int? = nil, height: Int? = nil) {
        self.title = title
        self.width = width ?? Figure.defaultWidth
        self.height = height
        self.scale = Figure.defaultScale
    }

    /// Adds a node.
    ///
    /// - Parameters:
    ///   - id: the name edges and regions refer to it by.
    ///   - label: its text; lines are separated by "\n".
    ///   - detail: smaller grey text under the label (a shape, a count).
    ///   - x, y: its centre, in logical pixels (both or neither; without, the layout places it).
    ///   - fill, stroke: its colours (the outline darker than the fill when only `fill` is given).
    ///   - minimumWidth, minimumHeight: the least size; by default it fits its text.
    public func node(_ id: String, _ label: String, detail: String? = nil, x: Double? = nil, y: Double? = nil,
                     shape: Shape = .box, fill: Color? = nil, stroke: Color? = nil, textColor: Color = .text,
                     minimumWidth: Double = 0, minimumHeight: Double = 0, fontSize: Double = 13,
                     bold: Bool = false, italic: Bool = false, dashed: Bool = false) -> Diagram {
        with { diagram in
            if diagram.nodes.contains(where: { $0.id == id }) {
                diagram.problems.append(PlotError("diagram: node \"\(id)\" is added twice"))
                return
            }
            if (x == nil) != (y == nil) {
                diagram.problems.append(PlotError("diagram: node \"\(id)\" has \(x == nil ? "y" : "x") but not \(x == nil ? "x" : "y"); give both or neither"))
                return
            }
            for (name, value) in [("x", x), ("y", y), ("minimumWidth", minimumWidth), ("minimumHeight", minimumHeight), ("fontSize", fontSize)] {
                if let value, !value.isFinite {
                    diagram.problems.append(PlotError("diagram: node \"\(id)\": \(name) must be a finite number, got \(value)"))
                    return
                }
            }
            diagram.nodes.append(Node(id: id, label: label, detail: detail, x: x, y: y, shape: shape, fill: fill,
                                      stroke: stroke, textColor: textColor, minimumWidth: max(minimumWidth, 0),
                                      minimumHeight: max(minimumHeight, 0), fontSize: max(fontSize, 4),
                                      bold: bold, italic: italic, dashed: dashed))
        }
    }

    /// Adds an arrow (or a plain line, `arrow: false`) from one node to another.
    ///
    /// - Parameters:
    ///   - label: text beside it (a shape, a weight).
    ///   - via: corners it passes through, in logical pixels (only for nodes with positions).
    ///   - labelSegment: which stretch between corners the label goes beside (0 is the first);
    ///     the longest when nil.
    public func edge(_ from: String, _ to: String, label: String? = nil, via: [(x: Double, y: Double)] = [],
                     color: Color = Color(hex: 0x404040), width: Double = 1.3, dashed: Bool = false,
                     arrow: Bool = true, labelPlacement: LabelPlacement = .beside, labelSegment: Int? = nil) -> Diagram {
        with { diagram in
            guard width.isFinite, via.allSatisfy({ $0.x.isFinite && $0.y.isFinite }) else {
                diagram.problems.append(PlotError("diagram: edge \"\(from)\" → \"\(to)\": its width and corners must be finite numbers"))
                return
            }
            diagram.edges.append(Edge(from: from, to: to, label: label, via: via, color: color, width: max(width, 0.3),
                                      dashed: dashed, arrow: arrow, labelPlacement: labelPlacement,
                                      labelSegment: labelSegment))
        }
    }

    /// A shaded, outlined area behind the nodes `around`, with its label in its top-left corner.
    public func region(_ label: String, around members: [String], padding: Double = 12,
                       fill: Color = Color(hex: 0xf4f4f4), stroke: Color = Color(hex: 0xb8b8b8), dashed: Bool = false) -> Diagram {
        with { $0.regions.append(Region(label: label, members: members, rect: nil, padding: padding, fill: fill,
                                        stroke: stroke, dashed: dashed)) }
    }

    /// A shaded, outlined rectangle (logical pixels, as node positions), with its label in its top-left corner.
    public func region(_ label: String, x: Double, y: Double, width: Double, height: Double,
                       fill: Color = Color(hex: 0xf4f4f4), stroke: Color = Color(hex: 0xb8b8b8), dashed: Bool = false) -> Diagram {
        with { $0.regions.append(Region(label: label, members: [], rect: (x, y, width, height), padding: 0, fill: fill,
                                        stroke: stroke, dashed: dashed)) }
    }

    /// Free text at a position (logical pixels, as node positions); `anchor` is where the
    /// position is on the text's baseline row: its left end, centre or right end.
    public func text(_ text: String, x: Double, y: Double, size: Double = 12, color: Color = .text,
                     anchor: TextAnchor = .center, italic: Bool = false) -> Diagram {
        with { diagram in
            let horizontal: HorizontalAnchor
            switch anchor {
            case .left: horizontal = .left
            case .center: horizontal = .center
            case .right: horizontal = .right
            }
            diagram.notes.append(Note(text: text, x: x, y: y, size: size, color: color, anchor: horizontal, italic: italic))
        }
    }

    /// Where free text sits relative to its position.
    public enum TextAnchor: Sendable { case left, center, right }

    /// Lays the diagram out in layers from its edges (for nodes given without positions):
    /// sources first, each edge pointing `direction`, few crossings.
    ///
    /// - Parameters:
    ///   - layerGap: the space between layers; by default room for the edges' labels.
    ///   - nodeGap: the least space between two nodes of a layer.
    public func layout(_ direction: Direction, layerGap: Double? = nil, nodeGap: Double = 28) -> Diagram {
        with { $0.layoutSettings = LayoutSettings(direction: direction, layerGap: layerGap, nodeGap: nodeGap) }
    }

    /// Another size, in logical pixels.
    public func size(width: Int, height: Int? = nil) -> Diagram {
        with { $0.width = width; $0.height = height }
    }

    /// The width of `text` in logical pixels at `size` (DejaVu Sans, as drawn): for placing
    /// nodes so that their boxes fit their text.
    public static func textWidth(_ text: String, size: Double = 13, bold: Bool = false) -> Double {
        Canvas.measure(text, size: size, bold: bold)
    }

    /// Physical pixels per logical pixel (1 for small files, 2 for high-DPI screens).
    public func pixelScale(_ scale: Int) -> Diagram { with { $0.scale = max(1, scale) } }

    // MARK: Output

    /// Throws the first problem: one recorded while nodes and edges were added, an edge or region
    /// naming a node that does not exist, or nothing to draw.
    public func validate() throws {
        if let problem = problems.first { throw problem }
        if nodes.isEmpty { throw PlotError("diagram: nothing to draw (add a node with .node(id, label))") }
        let ids = Set(nodes.map(\.id))
        for edge in edges {
            for end in [edge.from, edge.to] where !ids.contains(end) {
                throw PlotError("diagram: edge \"\(edge.from)\" → \"\(edge.to)\" names no node \"\(end)\"")
            }
        }
        for region in regions {
            for member in region.members where !ids.contains(member) {
                throw PlotError("diagram: region \"\(region.label)\" names no node \"\(member)\"")
            }
        }
        let placed = nodes.filter { $0.x != nil }.count
        if placed != 0 && placed != nodes.count {
            let missing = nodes.first { $0.x == nil }!.id
            throw PlotError("diagram: node \"\(missing)\" has no position while others have; give every node x and y, or none (to lay them out)")
        }
    }

    /// The diagram drawn and encoded as PNG. The same diagram always gives the same bytes.
    public func pngData() throws -> [UInt8] {
        try validate()
        let renderer = DiagramRenderer(diagram: self)
        let layout = renderer.layout()
        let canvas = try Canvas(width: width, height: height ?? layout.naturalHeight, scale: scale)
        renderer.draw(layout, on: canvas)
        return try canvas.pngData()
    }

    func with(_ change: (inout Diagram) -> Void) -> Diagram {
        var copy = self
        change(&copy)
        return copy
    }
}
