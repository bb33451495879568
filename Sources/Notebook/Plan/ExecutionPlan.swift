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
    /// The facts the program reads at start, and the only place the cache's facts are kept:
    /// which cells are cached and why a `cache: true` cell is not (`ProgramPlan.Cell`).
    public let program: ProgramPlan
    /// The evaluated cells, in order.
    let cells: [CellPlan]
    /// Per cell index: the values the cell binds, and whether each is a `var`, which the
    /// generated program hands to the kernel once bound (when a cell is cached: the kernel reads
    /// and restores them by name).
    let globals: [Int: [(name: String, isVariable: Bool)]]
    /// `cache: true` cells the program caches.
    public var cachedCells: Set<Int> { Set(program.cells.lazy.filter(\.cached).map(\.index)) }
    /// `cache: true` cells that run every time, and why (their text alone decides it).
    public var cacheNotes: [Int: String] {
        Dictionary(uniqueKeysWithValues: program.cells.compactMap { cell in cell.cacheBlocker.map { (cell.index, $0) } })
    }
    /// The prose's inline expressions that are compiled, by the cell that evaluates them.
    let inline: InlinePlan

    /// - Throws: `NotebookError` when a cell does not close what it opens (`{`, `(`, a string
    ///   or a comment: it would swallow the code after it, and swiftc would report the damage
    ///   against the generated file), or has conflicting options.
    public init(notebook: Notebook, parameters: [Parameter]? = nil, salt: String = "") throws {
        self.notebook = notebook
        let parameters = parameters ?? notebook.parameters
        self.parameters = parameters
        let cells = notebook.cells.filter(\.options.eval).map { CellPlan($0, path: notebook.path) }
        let inline = InlinePlan(notebook: notebook, evaluatedCells: Set(cells.map(\.cell.index)))
        self.inline = inline
        var problems = cells.flatMap(\.problems) + inline.problems
        problems += Self.parameterProblems(parameters, cells: cells, path: notebook.path)
        if !problems.isEmpty { throw NotebookError(problems) }
        self.cells = cells

        let analysis = CacheAnalysis(cells: cells, notebook: notebook, parameters: parameters)
        self.globals = analysis.registrations
        self.program = ProgramPlan(
            notebook: CellCache.absolutePath(notebook.path), salt: salt,
            parameters: parameters.map { ProgramPlan.Parameter(name: $0.name, type: $0.value.swiftType, json: $0.value.json) },
            declarations: analysis.declarations, cells: analysis.facts, typeEffects: analysis.typeEffects,
            observed: analysis.observed.sorted())
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

}

// `CellPlan` holds swift-syntax values, which are not `Sendable`; the plan is built once and
// only read afterwards.
extension CellPlan: @unchecked Sendable {}
