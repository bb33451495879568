/// Places the nodes of a directed graph in layers, edges pointing from one layer to a later
/// one: the method of Sugiyama, Tagawa and Toda (1981) that Graphviz's dot follows, in its
/// simplest sound form, for the tens of nodes a diagram holds.
///
/// 1. Layers: the longest path from a source; a source then moves down to just before its
///    first user (a weight sits beside the operation that reads it, not at the top).
/// 2. An edge that spans several layers passes through a dummy node in each.
/// 3. Order within layers: barycentre sweeps, keeping the order with the fewest crossings.
/// 4. Position across the layer: each node pulled towards the mean of its neighbours, with the
///    least gap between nodes kept exactly (isotonic regression, pool-adjacent-violators).
///
/// Coordinates are in logical pixels: "along" runs with the edges (down, or right), "across"
/// along a layer.
struct LayeredLayout {
    struct Result {
        /// Centre of each node.
        var centers: [Point]
        /// For each edge, the centres of the dummy nodes it passes through, from its source on.
        var routes: [[Point]]
    }

    /// - Parameters:
    ///   - sizes: each node's extent (width, height).
    ///   - edges: (from, to) node indices.
    static func place(sizes: [(width: Double, height: Double)], edges: [(Int, Int)], direction: Diagram.Direction,
                      layerGap: Double, nodeGap: Double) -> Result {
        let n = sizes.count
        let flipped = acyclicFlags(count: n, edges: edges)
        let acyclic = zip(edges, flipped).map { $1 ? ($0.1, $0.0) : $0 }
        // 1. Layers.
        var successors = [[Int]](repeating: [], count: n), predecessors = [[Int]](repeating: [], count: n)
        for (a, b) in acyclic where a != b {
            successors[a].append(b)
            predecessors[b].append(a)
        }
        let order = topologicalOrder(count: n, successors: successors, predecessors: predecessors)
        var layer = [Int](repeating: 0, count: n)
        for v in order { for u in predecessors[v] { layer[v] = max(layer[v], layer[u] + 1) } }
        for v in order.reversed() where predecessors[v].isEmpty && !successors[v].isEmpty {
            layer[v] = successors[v].map { layer[$0] }.min()! - 1
        }

        // 2. Dummies: vertices n..< are dummy points on long edges.
        var breadth = sizes.map { direction == .topToBottom ? $0.width : $0.height }
        var depth = sizes.map { direction == .topToBottom ? $0.height : $0.width }
        var chains: [[Int]] = []          // per edge: its vertices from source to target
        var links: [(Int, Int)] = []      // edges between adjacent layers
        for (a, b) in acyclic {
            var chain = [a]
            if a != b {
                for l in Swift.stride(from: layer[a] + 1, to: layer[b], by: 1) {
                    layer.append(l)
                    breadth.append(0)
                    depth.append(0)
                    chain.append(layer.count - 1)
                }
                chain.append(b)
                for k in 0..<(chain.count - 1) { links.append((chain[k], chain[k + 1])) }
            }
            chains.append(chain)
        }
        let total = layer.count
        var up = [[Int]](repeating: [], count: total), down = [[Int]](repeating: [], count: total)
        for (a, b) in links {
            down[a].append(b)
            up[b].append(a)
        }
        let layerCount = (layer.max() ?? 0) + 1
        var layers = [[Int]](repeating: [], count: layerCount)
        // Initial order: depth-first from the sources, so a chain's vertices line up.
        var seen = [Bool](repeating: false, count: total)
        func visit(_ v: Int) {
            if seen[v] { return }
            seen[v] = true
            layers[layer[v]].append(v)
            for w in down[v] { visit(w) }
        }
        for v in 0..<total where up[v].isEmpty { visit(v) }
        for v in 0..<total { visit(v) }

        // 3. Barycentre sweeps.
        var best = layers, bestCrossings = crossings(layers, down: down)
        for sweep in 0..<16 {
            let downward = sweep % 2 == 0
            let range = downward ? Array(1..<max(layerCount, 1)) : Array((0..<max(layerCount - 1, 0)).reversed())
            for l in range {
                let reference = downward ? layers[l - 1] : layers[l + 1]
                var position = [Int: Double]()
                for (i, v) in reference.enumerated() { position[v] = Double(i) }
                let keyed = layers[l].enumerated().map { index, v -> (Double, Int, Int) in
                    let neighbours = (downward ? up[v] : down[v]).compactMap { position[$0] }
                    let key = neighbours.isEmpty ? Double(index) : neighbours.reduce(0, +) / Double(neighbours.count)
                    return (key, index, v)
                }
                layers[l] = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
            }
            let count = crossings(layers, down: down)
            if count < bestCrossings { best = layers; bestCrossings = count }
        }
        layers = best

        // 4. Across: pulled towards neighbours, gaps kept.
        var across = [Double](repeating: 0, count: total)
        func gap(_ a: Int, _ b: Int) -> Double {
            let dummyGap = (breadth[a] == 0 || breadth[b] == 0) ? nodeGap / 2 : nodeGap
            return breadth[a] / 2 + dummyGap + breadth[b] / 2
        }
        for members in layers {
            var x = 0.0
            for (i, v) in members.enumerated() {
                if i > 0 { x += gap(members[i - 1], v) }
                across[v] = x
            }
            let middle = x / 2
            for v in members { across[v] -= middle }
        }
        for sweep in 0..<12 {
            let downward = sweep % 2 == 0
            let range = downward ? Array(0..<layerCount) : Array((0..<layerCount).reversed())
            for l in range {
                let members = layers[l]
                guard !members.isEmpty else { continue }
                let desired = members.map { v -> Double in
                    // A source (an input, a weight) hangs beside the node it feeds rather than
                    // pulling it aside: a chain of operations stays straight.
                    let chained = up[v].filter { !up[$0].isEmpty }
                    let above = chained.isEmpty ? up[v] : chained
                    let neighbours = (downward ? above : down[v]) + (sweep >= 8 ? (downward ? down[v] : above) : [])
                    guard !neighbours.isEmpty else { return across[v] }
                    return neighbours.map { across[$0] }.reduce(0, +) / Double(neighbours.count)
                }
                let gaps = (0..<members.count).map { $0 == 0 ? 0 : gap(members[$0 - 1], members[$0]) }
                // Sources give way: where a weight and the operation it feeds both want one
                // place, the weight moves.
                let weights = members.map { up[$0].isEmpty ? 0.05 : 1 }
                let placed = closestSeparated(desired, gaps: gaps, weights: weights)
                for (v, x) in zip(members, placed) { across[v] = x }
            }
        }

        // Along: each layer as deep as its deepest node.
        var layerAlong = [Double](repeating: 0, count: layerCount)
        let layerDepth = layers.map { $0.map { depth[$0] }.max() ?? 0 }
        for l in 1..<max(layerCount, 1) {
            layerAlong[l] = layerAlong[l - 1] + layerDepth[l - 1] / 2 + layerGap + layerDepth[l] / 2
        }
        func point(_ v: Int) -> Point {
            direction == .topToBottom ? Point(across[v], layerAlong[layer[v]]) : Point(layerAlong[layer[v]], across[v])
        }
        let centers = (0..<n).map(point)
        let routes = chains.enumerated().map { index, chain -> [Point] in
            let inner = chain.count > 2 ? chain[1..<(chain.count - 1)].map(point) : []
            return flipped[index] ? inner.reversed() : inner
        }
        return Result(centers: centers, routes: routes)
    }

    /// Which edges close a cycle (found by a depth-first search in index order): they are
    /// turned round so the graph can be layered.
    static func acyclicFlags(count: Int, edges: [(Int, Int)]) -> [Bool] {
        var outgoing = [[(edge: Int, to: Int)]](repeating: [], count: count)
        for (i, (a, b)) in edges.enumerated() { outgoing[a].append((i, b)) }
        var state = [UInt8](repeating: 0, count: count)   // 0 new, 1 on the stack, 2 done
        var flipped = [Bool](repeating: false, count: edges.count)
        for start in 0..<count where state[start] == 0 {
            var stack: [(vertex: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                if top.next < outgoing[top.vertex].count {
                    stack[stack.count - 1].next += 1
                    let (edge, to) = outgoing[top.vertex][top.next]
                    if state[to] == 1 { flipped[edge] = true } else if state[to] == 0 {
                        state[to] = 1
                        stack.append((to, 0))
                    }
                } else {
                    state[top.vertex] = 2
                    stack.removeLast()
                }
            }
        }
        return flipped
    }

    /// Kahn's algorithm, lowest index first among the ready vertices.
    static func topologicalOrder(count: Int, successors: [[Int]], predecessors: [[Int]]) -> [Int] {
        var remaining = predecessors.map(\.count)
        var ready = (0..<count).filter { remaining[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        while let v = ready.popLast() {
            order.append(v)
            for w in successors[v] {
                remaining[w] -= 1
                if remaining[w] == 0 { ready.append(w) }
            }
        }
        return order
    }

    /// The number of pairs of edges that cross between adjacent layers.
    static func crossings(_ layers: [[Int]], down: [[Int]]) -> Int {
        var total = 0
        for l in 0..<max(layers.count - 1, 0) {
            var position = [Int: Int]()
            for (i, v) in layers[l + 1].enumerated() { position[v] = i }
            var ends: [(Int, Int)] = []
            for (i, v) in layers[l].enumerated() { for w in down[v] { if let p = position[w] { ends.append((i, p)) } } }
            for a in 0..<ends.count {
                for b in (a + 1)..<ends.count {
                    let (i1, p1) = ends[a], (i2, p2) = ends[b]
                    if (i1 - i2) * (p1 - p2) < 0 { total += 1 }
                }
            }
        }
        return total
    }

    /// The positions closest (weighted least squares) to `desired` with `x[k] - x[k-1] >= gaps[k]`:
    /// with offsets o[k] = gaps[1] + ... + gaps[k], y = x - o must be non-decreasing, which is
    /// isotonic regression of desired - o, solved by pooling adjacent violators.
    static func closestSeparated(_ desired: [Double], gaps: [Double], weights: [Double]? = nil) -> [Double] {
        let weights = weights ?? [Double](repeating: 1, count: desired.count)
        var offsets = [Double](repeating: 0, count: desired.count)
        for k in desired.indices.dropFirst() { offsets[k] = offsets[k - 1] + gaps[k] }
        var blocks: [(mean: Double, weight: Double, count: Int)] = []
        for k in desired.indices {
            blocks.append((desired[k] - offsets[k], weights[k], 1))
            while blocks.count >= 2, blocks[blocks.count - 2].mean > blocks[blocks.count - 1].mean {
                let last = blocks.removeLast(), previous = blocks.removeLast()
                let weight = last.weight + previous.weight
                blocks.append(((last.mean * last.weight + previous.mean * previous.weight) / weight, weight,
                               last.count + previous.count))
            }
        }
        var result: [Double] = []
        for block in blocks { result += [Double](repeating: block.mean, count: block.count) }
        return zip(result, offsets).map { $0 + $1 }
    }
}
