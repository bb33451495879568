import Crypto
import Foundation
import KernelProtocol

/// The plan stage: `Notebook` + parameters -> `ExecutionPlan`, what the generator emits and
/// what the program is told (`ProgramPlan`).
///
/// Each evaluated cell is parsed once (`CellPlan`). From the cells' symbols the plan works out,
/// per cell, what it reads and may change, directly and through the functions, types and
/// closures it uses (declared in any cell, followed transitively), which earlier values it
/// touches (the generated program hands those to the kernel), whether a `cache: true` cell can
/// be cached at all, and the hash of its own code. The kernel turns these facts into cache
/// keys at run time (see `CellTracker` in NotebookKernel for the rule).
public struct ExecutionPlan: Sendable {
    public let notebook: Notebook
    /// After `-p` overrides.
    public let parameters: [Parameter]
    /// The facts the program reads at start.
    public let program: ProgramPlan
    /// The evaluated cells, in order.
    let cells: [CellPlan]
    /// Per cell index: the earlier values the cell reads or changes, in name order, and
    /// whether each is a `var` (then the kernel can set it when it restores the cell).
    let globals: [Int: [(name: String, isVariable: Bool)]]
    /// `cache: true` cells the program caches.
    public let cachedCells: Set<Int>
    /// `cache: true` cells that run every time, and why (their text alone decides it).
    public let cacheNotes: [Int: String]

    /// - Throws: `NotebookError` when a cell does not close what it opens (`{`, `(`, a string
    ///   or a comment: it would swallow the code after it, and swiftc would report the damage
    ///   against the generated file), or has conflicting options.
    public init(notebook: Notebook, parameters: [Parameter]? = nil, salt: String = "") throws {
        self.notebook = notebook
        let parameters = parameters ?? notebook.parameters
        self.parameters = parameters
        let cells = notebook.cells.filter(\.options.eval).map { CellPlan($0, path: notebook.path) }
        var problems = cells.flatMap(\.problems)
        problems += Self.parameterProblems(parameters, cells: cells, path: notebook.path)
        if !problems.isEmpty { throw NotebookError(problems) }
        self.cells = cells

        // What using each declared name reads and changes, whichever cell declares it.
        var effects: [String: CellSymbols.Effect] = [:]
        var declaringCells: [String: [Int]] = [:]
        var staticStored: Set<String> = []
        for plan in cells {
            for (name, effect) in plan.symbols.effects { effects[name, default: CellSymbols.Effect()].merge(effect) }
            for name in plan.symbols.declarations { declaringCells[name, default: []].append(plan.cell.index) }
            staticStored.formUnion(plan.symbols.staticStored)
        }
        var declarations: [String: String] = [:]
        for (name, indices) in declaringCells {
            declarations[name] = Self.sha256(["nbrun declaration 1"] + indices.map { notebook.cells[$0].displaySource })
        }

        // Every name some cell binds at top level, and the parameters: a local of the same name
        // may shadow one, so a change to it counts; a change to any other local stays in its cell.
        let globalNames = Set(cells.flatMap { $0.symbols.valueNames } + parameters.map(\.name))
        var bound: [String: Bool] = [:]  // name -> is a var, for values of earlier cells
        var facts: [ProgramPlan.Cell] = [], globals: [Int: [(name: String, isVariable: Bool)]] = [:]
        var cached: Set<Int> = [], notes: [Int: String] = [:]
        for plan in cells {
            let cell = plan.cell, symbols = plan.symbols
            let own = symbols.valueNames
            // Member names count only as the notebook's own declarations (extension members).
            var reads = symbols.written.union(symbols.members.intersection(declaringCells.keys))
            var changes = symbols.changed.subtracting(symbols.locals.subtracting(globalNames))
            var untrackedInput = symbols.untrackedInput, untrackedEffect = symbols.untrackedEffect
            var pending = Array(reads), visited: Set<String> = []
            while let name = pending.popLast() {
                guard visited.insert(name).inserted, let effect = effects[name] else { continue }
                for read in effect.reads.union(effect.members.intersection(declaringCells.keys)) where reads.insert(read).inserted {
                    pending.append(read)
                }
                changes.formUnion(effect.changes)
                untrackedInput = untrackedInput ?? effect.untrackedInput.map { "\($0) (in '\(name)')" }
                untrackedEffect = untrackedEffect ?? effect.untrackedEffect.map { "\($0) (in '\(name)')" }
            }
            reads.subtract(own)
            changes.subtract(own)
            // What a cell can change that others read by name: the notebook's values and its own
            // declarations (a type's static state). A static method of an engine type
            // (`Tensor.zeros`, `Sequential.load`) changes nothing another cell names; the engine's
            // own global state (random generator, figure defaults) is keyed on separately.
            changes.formIntersection(globalNames.union(declaringCells.keys))
            let touched = reads.union(changes).filter { bound[$0] != nil }.sorted()
            globals[cell.index] = touched.map { ($0, bound[$0]!) }

            var blocker = plan.cacheBlocker
            if cell.options.cache, blocker == nil {
                if let name = reads.intersection(staticStored).sorted().first {
                    blocker = "it reads '\(name)', a static property of a type the notebook declares, whose changes the cache "
                        + "cannot follow"
                } else if let effect = untrackedEffect {
                    blocker = "it changes the outside world through '\(effect)', which a restored cell would not do again"
                }
            }
            let isCached = cell.options.cache && blocker == nil
            if isCached { cached.insert(cell.index) }
            if cell.options.cache, let blocker { notes[cell.index] = blocker }
            facts.append(ProgramPlan.Cell(
                index: cell.index, name: cell.name,
                codeHash: Self.sha256(["nbrun cell code 1", cell.displaySource, Self.resultOptions(cell.options), cell.options.cacheExtra ?? ""]),
                reads: reads.sorted(), changes: changes.sorted(),
                binds: cell.options.error ? [] : symbols.values.map(\.name),
                cached: isCached, cacheBlocker: cell.options.cache ? blocker : nil,
                untrackedInput: cell.options.cacheExtra == nil ? untrackedInput : nil))
            if !cell.options.error {
                for (name, keyword) in symbols.values { bound[name] = keyword == "var" }
            }
        }
        self.globals = globals
        self.cachedCells = cached
        self.cacheNotes = notes
        self.program = ProgramPlan(
            notebook: notebook.path, salt: salt,
            parameters: parameters.map { ProgramPlan.Parameter(name: $0.name, type: $0.value.swiftType, json: $0.value.json) },
            declarations: declarations, cells: facts)
    }

    /// Names the generated program uses itself: a parameter (a top-level `let`) of one of these
    /// names would hide it.
    static let generatedNames: Set<String> = ["NotebookSession", "NotebookCache", "NotebookGlobal", "NotebookKernel", "Figure"]

    /// Parameters named like something the generated program uses, or like a function a cell
    /// calls (`print`): swiftc would report the clash far from its cause.
    static func parameterProblems(_ parameters: [Parameter], cells: [CellPlan], path: String) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for parameter in parameters {
            if parameter.name.hasPrefix("_nb") || generatedNames.contains(parameter.name) {
                problems.append(Diagnostic(file: path, line: parameter.line, column: nil, severity: .error,
                                           message: "parameter '\(parameter.name)' has the name of something nbrun's generated program uses",
                                           hint: "rename the parameter (names starting with _nb, and \(generatedNames.sorted().joined(separator: ", ")), are taken)"))
            } else if let cell = cells.first(where: { $0.symbols.called[parameter.name] != nil }),
                      let position = cell.symbols.called[parameter.name] {
                let line = cell.cell.line + cell.cell.source.utf8.prefix(position.utf8Offset).filter { $0 == UInt8(ascii: "\n") }.count
                problems.append(Diagnostic(file: path, line: parameter.line, column: nil, severity: .error,
                                           message: "parameter '\(parameter.name)' hides the function \(parameter.name)(...) that the cell at line \(line) calls",
                                           hint: "rename the parameter"))
            }
        }
        return problems
    }

    /// The plan of the evaluated cell with this index.
    func plan(ofCell index: Int) -> CellPlan? {
        cells.first { $0.cell.index == index }
    }

    /// The options that change what a cell computes or shows.
    static func resultOptions(_ options: CellOptions) -> String {
        "output=\(options.output) error=\(options.error) fig=\(options.figWidth.map(String.init) ?? "-")x\(options.figHeight.map(String.init) ?? "-")"
    }

    static func sha256(_ parts: [String]) -> String {
        var hasher = SHA256()
        for part in parts {
            hasher.update(data: Data(part.utf8))
            hasher.update(data: Data([0]))
        }
        return hasher.finalize().hex
    }
}

// `CellPlan` holds swift-syntax values, which are not `Sendable`; the plan is built once and
// only read afterwards.
extension CellPlan: @unchecked Sendable {}
