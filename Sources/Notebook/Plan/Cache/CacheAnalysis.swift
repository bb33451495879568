import Crypto
import Foundation
import KernelProtocol

/// The plan's cache side: from every cell's symbols, what each cell reads and may change
/// (directly, and through the functions, types, closures and observers it uses, declared in any
/// cell, followed transitively), whether a `cache: true` cell can be cached at all, the hash of
/// its code, and what each of the notebook's types does wherever its code runs from. The kernel
/// turns these facts into keys at run time (see `CellTracker` in NotebookKernel for the rule).
struct CacheAnalysis {
    /// One per evaluated cell.
    private(set) var facts: [ProgramPlan.Cell] = []
    /// For each name a cell declares: a hash of the code of every cell declaring it (or
    /// assigning it, for a closure variable), and of where that code is when it asks.
    private(set) var declarations: [String: String] = [:]
    private(set) var typeEffects: [String: ProgramPlan.Effect] = [:]
    private(set) var observed: Set<String> = []
    /// Per cell: the values it binds, and whether each is a `var` (empty when no cell is cached).
    private(set) var registrations: [Int: [(name: String, isVariable: Bool)]] = [:]

    init(cells: [CellPlan], notebook: Notebook, parameters: [Parameter]) {
        // What using each declared name reads and changes, whichever cell declares it.
        var effects: [String: CellSymbols.Effect] = [:]
        var declaringCells: [String: [Int]] = [:]
        var staticStored: Set<String> = []
        var closureVariables: Set<String> = []
        var typeNames: Set<String> = []
        for plan in cells {
            for (name, effect) in plan.symbols.effects { effects[name, default: CellSymbols.Effect()].merge(effect) }
            for name in plan.symbols.declarations { declaringCells[name, default: []].append(plan.cell.index) }
            staticStored.formUnion(plan.symbols.staticStored)
            closureVariables.formUnion(plan.symbols.closureVariables)
            typeNames.formUnion(plan.symbols.typeDeclarations)
            observed.formUnion(plan.symbols.observed)
        }

        // A closure variable holds the code of every cell that assigns it: calling it runs any
        // of them. Assigned other than by a top-level `name = { ... }` (or a function's name), in
        // an uncached cell, what it holds is out of the cache's sight.
        var opaqueClosures: [String: String] = [:]
        for plan in cells {
            for name in plan.symbols.changed.intersection(closureVariables).sorted() {
                if !plan.cell.options.error, let assigned = plan.symbols.closureAssignments[name] {
                    effects[name, default: CellSymbols.Effect()].merge(assigned)
                    declaringCells[name, default: []].append(plan.cell.index)
                } else if opaqueClosures[name] == nil {
                    opaqueClosures[name] = "\(plan.cell.name) gives it other code in a way the cache cannot follow"
                }
            }
        }
        // Conformances added to types the notebook does not declare (`extension Linear:
        // CustomStringConvertible`): the engine or the standard library may call that code from
        // any cell, naming nothing of it.
        var ambient = CellSymbols.Effect()
        for plan in cells {
            for conformance in plan.symbols.conformances where !typeNames.contains(conformance.type) {
                ambient.merge(conformance.effect)
            }
        }

        let sources = Dictionary(cells.map { ($0.cell.index, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, indices) in declaringCells {
            var parts = ["nbrun declaration 2"]
            for index in indices {
                guard let plan = sources[index] else { continue }
                parts.append(plan.cell.displaySource)
                // Code asking where it is (`#line`) has another value when its cell moves.
                if plan.symbols.usesLocation { parts.append("\(notebook.path)\n\(plan.cell.line)") }
            }
            declarations[name] = Self.sha256(parts)
        }

        // Every name some cell binds at top level, and the parameters: a local of the same name
        // may shadow one, so a change to it counts; a change to any other local stays in its cell.
        let globalNames = Set(cells.flatMap { $0.symbols.valueNames } + parameters.map(\.name))

        /// Everything reachable from `start`'s names through the effects of declared names.
        func closure(reads start: Set<String>, seed: CellSymbols.Effect) -> (effect: CellSymbols.Effect, via: [String: String]) {
            var result = seed
            result.reads.formUnion(start)
            var via: [String: String] = [:]
            var pending = Array(result.reads.union(result.members.intersection(declaringCells.keys))), visited: Set<String> = []
            while let name = pending.popLast() {
                guard visited.insert(name).inserted, let effect = effects[name] else { continue }
                for read in effect.reads.union(effect.members.intersection(declaringCells.keys)) where result.reads.insert(read).inserted {
                    pending.append(read)
                }
                result.changes.formUnion(effect.changes)
                if result.untrackedInput == nil, let input = effect.untrackedInput { result.untrackedInput = input; via["input"] = name }
                if result.untrackedEffect == nil, let change = effect.untrackedEffect { result.untrackedEffect = change; via["effect"] = name }
                if result.nondeterministic == nil, let source = effect.nondeterministic { result.nondeterministic = source; via["source"] = name }
                result.usesLocation = result.usesLocation || effect.usesLocation
            }
            return (result, via)
        }
        func described(_ what: String?, via name: String?) -> String? {
            guard let what else { return nil }
            return name.map { "\(what) (in '\($0)')" } ?? what
        }

        for type in typeNames {
            let (effect, via) = closure(reads: [type], seed: CellSymbols.Effect())
            typeEffects[type] = ProgramPlan.Effect(
                reads: effect.reads.intersection(globalNames.union(declaringCells.keys)).sorted(),
                changes: effect.changes.intersection(globalNames.union(declaringCells.keys)).sorted(),
                untrackedInput: described(effect.untrackedInput, via: via["input"]),
                untrackedEffect: described(effect.untrackedEffect, via: via["effect"]))
        }

        let tracking = cells.contains { $0.cell.options.cache }
        for plan in cells {
            let cell = plan.cell, symbols = plan.symbols
            let own = symbols.valueNames
            var seed = CellSymbols.Effect()
            seed.members = symbols.members
            seed.changes = symbols.changed.subtracting(symbols.locals.subtracting(globalNames))
            seed.untrackedInput = symbols.untrackedInput
            seed.untrackedEffect = symbols.untrackedEffect
            seed.nondeterministic = symbols.nondeterministic
            seed.usesLocation = symbols.usesLocation
            seed.merge(ambient)
            let (effect, via) = closure(reads: symbols.written, seed: seed)
            var reads = effect.reads, changes = effect.changes
            reads.subtract(own)
            changes.subtract(own)
            // What a cell can change that others read by name: the notebook's values and its own
            // declarations (a type's static state). A static method of an engine type
            // (`Tensor.zeros`, `Sequential.load`) changes nothing another cell names; the engine's
            // own global state (random generator, figure defaults) is keyed on separately.
            changes.formIntersection(globalNames.union(declaringCells.keys))

            var blocker = plan.cacheBlocker
            if cell.options.cache, blocker == nil {
                if let name = reads.intersection(staticStored).sorted().first {
                    blocker = "it reads '\(name)', a static property of a type the notebook declares, whose changes the cache "
                        + "cannot follow"
                } else if let change = effect.untrackedEffect {
                    blocker = "it changes the outside world through '\(described(change, via: via["effect"]) ?? change)', which a "
                        + "restored cell would not do again"
                } else if let name = symbols.changed.intersection(closureVariables).sorted().first {
                    blocker = "it gives the closure variable '\(name)' other code, which the cache cannot store"
                } else if let name = reads.intersection(opaqueClosures.keys).sorted().first {
                    blocker = "it reads the closure variable '\(name)', and \(opaqueClosures[name]!)"
                }
            }
            let isCached = cell.options.cache && blocker == nil
            let location = effect.usesLocation ? "\(notebook.path)\n\(cell.line)" : ""
            facts.append(ProgramPlan.Cell(
                index: cell.index, name: cell.name, label: cell.options.label,
                codeHash: Self.sha256(["nbrun cell code 2", cell.displaySource, Self.resultOptions(cell.options),
                                       cell.options.cacheExtra ?? "", location]),
                reads: reads.sorted(), changes: changes.sorted(),
                binds: cell.options.error ? [] : symbols.values.map(\.name),
                cached: isCached, cacheBlocker: cell.options.cache ? blocker : nil,
                untrackedInput: cell.options.cacheExtra == nil ? described(effect.untrackedInput, via: via["input"]) : nil,
                nondeterministic: described(effect.nondeterministic, via: via["source"])))
            if tracking, !cell.options.error, !symbols.values.isEmpty {
                registrations[cell.index] = symbols.values.map { ($0.name, $0.keyword == "var") }
            }
        }
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
