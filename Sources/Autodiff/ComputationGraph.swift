/// The operations recorded behind a variable, read-only: what `backward()` walks, for drawing
/// and inspecting (micrograd's `trace`). Taking it changes nothing and records nothing.
///
///     let w = Variable(Tensor([[1], [2]]), requiresGrad: true)
///     let loss = relu(matmul(Variable(Tensor([[3, 4]])), w)).sum()
///     loss.graph.nodes.map { $0.operation ?? "leaf" }   // ["leaf", "leaf", "matmul", "relu", "sum"]
public struct ComputationGraph {
    /// A value of the graph: a leaf (an input or a parameter), or the result of an operation.
    public struct Node {
        /// The variable itself (compare with `===` to find one of yours).
        public let variable: Variable
        /// The primitive that produced it ("matmul", "add", "relu", "softmaxCrossEntropy", ...);
        /// nil for a leaf.
        public let operation: String?
        /// Its operands, in order, as indices into `nodes`.
        public let inputs: [Int]

        public var shape: [Int] { variable.shape }
        public var isLeaf: Bool { operation == nil }
        /// Whether gradients flow to it (parameters, and every result computed from one).
        public var requiresGrad: Bool { variable.requiresGrad }
    }

    /// Every value once, operands before the operations that use them; the variable the graph
    /// was taken from is last.
    public let nodes: [Node]

    /// The variables whose operands were recorded, from `root` back (an iterative depth-first
    /// search: the graph of a long sequence would overflow a recursive one).
    init(root: Variable) {
        var index: [ObjectIdentifier: Int] = [:]
        var nodes: [Node] = []
        var stack: [(variable: Variable, finished: Bool)] = [(root, false)]
        while let (variable, finished) = stack.popLast() {
            let key = ObjectIdentifier(variable)
            if finished {
                guard index[key] == nil else { continue }
                index[key] = nodes.count
                nodes.append(Node(variable: variable, operation: variable.primitive?.name,
                                  inputs: variable.inputs.map { index[ObjectIdentifier($0)]! }))
                continue
            }
            if index[key] != nil { continue }
            stack.append((variable, true))
            for input in variable.inputs.reversed() where index[ObjectIdentifier(input)] == nil {
                stack.append((input, false))
            }
        }
        self.nodes = nodes
    }
}

extension Variable {
    /// The operations recorded behind this variable, as `backward()` would walk them back.
    public var graph: ComputationGraph { ComputationGraph(root: self) }
}
