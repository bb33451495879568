import Crypto
import Foundation
import SwiftParser
import SwiftSyntax

/// What one cell defines, reads and may change, from its syntax (the def/use analysis
/// behind `cache: true` keys).
///
/// Deliberately conservative: any identifier or operator written in the cell counts as a
/// use (member names included; argument labels and parameter names not), a type or function declared at top
/// level is visible from every cell, and a cell that could change a name (assigns to it,
/// passes it `inout`, calls a method on it, passes it to a function: reference types can
/// change that way) counts as one of its definitions for the cells after it.
struct CellSymbols: Equatable {
    /// `let`/`var` names bound at top level: visible to the cells after this one.
    var values: Set<String> = []
    /// Types, functions, operators, and the members declared in them or in extensions:
    /// visible from anywhere in the generated file.
    var declarations: Set<String> = []
    /// Every name written in the cell, minus what it defines itself.
    var uses: Set<String> = []
    /// Names the cell may change without defining them.
    var mutates: Set<String> = []
    /// Names read and names changed inside the cell's functions, types and computed variables,
    /// its own values included: what a cell calling them reads and changes.
    var declarationReads: Set<String> = []
    var declarationChanges: Set<String> = []
    /// The same for each name the cell declares (a function, a type and its members): what
    /// calling or using it reads, and what it may change (its own locals and parameters aside).
    var declarationEffects: [String: Effect] = [:]
    /// Functions declared here that may change a value passed to them (call a method on a
    /// parameter, assign through it): passing another cell's value to one changes that value.
    var functionsChangingArguments: Set<String> = []
    /// (function, argument) for each call `f(..., name, ...)` in the cell's code whose argument
    /// is a plain name.
    var passedArguments: [PassedArgument] = []

    struct Effect: Equatable {
        var reads: Set<String> = []
        var changes: Set<String> = []
        /// Its calls passing a plain name (a global, or one of its own locals).
        var passed: [PassedArgument] = []

        mutating func merge(_ other: Effect) {
            reads.formUnion(other.reads)
            changes.formUnion(other.changes)
            passed += other.passed
        }
    }

    struct PassedArgument: Equatable {
        var function: String
        var argument: String
    }

    /// Free functions that only read their arguments (their arguments are not mutations).
    static let readingFunctions: Set<String> = [
        "print", "debugPrint", "dump", "display", "check", "expectClose", "String", "Int", "Float", "Double",
        "Bool", "Array", "Set", "Dictionary", "min", "max", "abs", "zip", "type",
    ]

    init(source: String) {
        let tree = Parser.parse(source: source)
        for item in tree.statements {
            guard case .decl(let decl) = item.item else { continue }
            var isCode = true
            if let variable = decl.as(VariableDeclSyntax.self) {
                for binding in variable.bindings { Self.names(in: binding.pattern, into: &values) }
                isCode = variable.bindings.contains { $0.accessorBlock != nil }
            } else if decl.is(ImportDeclSyntax.self) {
                isCode = false
            } else {
                declarations.formUnion(Self.declaredNames(decl))
            }
            if isCode {
                let reads = Self.writtenNames(in: decl)
                declarationReads.formUnion(reads)
                let finder = MutationFinder(viewMode: .sourceAccurate)
                finder.walk(decl)
                declarationChanges.formUnion(finder.names)
                // For the effects, what surely or probably changes (as for a cached cell's own code):
                // being passed to a function does not count, or `fit(x: data.inputs)` would "change" data.
                let locals = PreparedCell.namesDeclared(in: decl)
                let effect = Effect(reads: reads, changes: finder.changed.subtracting(locals),
                                    passed: Self.passedArguments(in: decl).filter { !locals.contains($0.argument) })
                for name in Self.declaredNames(decl) { declarationEffects[name, default: Effect()].merge(effect) }
                if let function = decl.as(FunctionDeclSyntax.self) {
                    let parameters = Set(function.signature.parameterClause.parameters.map {
                        Self.unquoted(($0.secondName ?? $0.firstName).text)
                    })
                    if !finder.changed.isDisjoint(with: parameters) { functionsChangingArguments.insert(Self.unquoted(function.name.text)) }
                }
            }
        }
        passedArguments = Self.passedArguments(in: tree)
        uses = Self.writtenNames(in: tree).subtracting(values).subtracting(declarations)
        let finder = MutationFinder(viewMode: .sourceAccurate)
        finder.walk(tree)
        mutates = finder.names.subtracting(values)
    }

    /// (function, argument) for each call `f(..., name, ...)` in `node` whose argument is a plain name.
    static func passedArguments(in node: some SyntaxProtocol) -> [PassedArgument] {
        var result: [PassedArgument] = []
        for call in node.tokens(viewMode: .sourceAccurate).compactMap({ $0.parent?.as(DeclReferenceExprSyntax.self) })
            .compactMap({ $0.parent?.as(FunctionCallExprSyntax.self) }) {
            guard let callee = call.calledExpression.as(DeclReferenceExprSyntax.self) else { continue }
            for argument in call.arguments {
                let expression = argument.expression.as(InOutExprSyntax.self)?.expression ?? argument.expression
                if let name = expression.as(DeclReferenceExprSyntax.self) {
                    result.append(PassedArgument(function: unquoted(callee.baseName.text), argument: unquoted(name.baseName.text)))
                }
            }
        }
        return result
    }

    /// The identifiers and operators written in `node`.
    static func writtenNames(in node: some SyntaxProtocol) -> Set<String> {
        var written: Set<String> = []
        for token in node.tokens(viewMode: .sourceAccurate) {
            // Argument labels and parameter names name nothing outside the call or function.
            if let parent = token.parent, parent.is(LabeledExprSyntax.self) || parent.is(FunctionParameterSyntax.self)
                || parent.is(ClosureParameterSyntax.self) || parent.is(EnumCaseParameterSyntax.self)
                || parent.is(DeclNameArgumentSyntax.self) {
                continue
            }
            switch token.tokenKind {
            case .identifier(let name): written.insert(Self.unquoted(name))
            case .binaryOperator(let name), .prefixOperator(let name), .postfixOperator(let name): written.insert(name)
            default: break
            }
        }
        return written
    }

    static func unquoted(_ name: String) -> String {
        name.count > 2 && name.hasPrefix("`") && name.hasSuffix("`") ? String(name.dropFirst().dropLast()) : name
    }

    static func names(in pattern: PatternSyntax, into names: inout Set<String>) {
        if let identifier = pattern.as(IdentifierPatternSyntax.self) {
            names.insert(unquoted(identifier.identifier.text))
        } else if let tuple = pattern.as(TuplePatternSyntax.self) {
            for element in tuple.elements { Self.names(in: element.pattern, into: &names) }
        } else {
            for token in pattern.tokens(viewMode: .sourceAccurate) {
                if case .identifier(let name) = token.tokenKind { names.insert(unquoted(name)) }
            }
        }
    }

    /// The name a declaration introduces and, for types and extensions, the names of their members.
    static func declaredNames(_ decl: DeclSyntax) -> Set<String> {
        var result: Set<String> = []
        if let function = decl.as(FunctionDeclSyntax.self) {
            result.insert(unquoted(function.name.text))
        } else if let type = decl.asProtocol(NamedDeclSyntax.self) {
            result.insert(unquoted(type.name.text))
        } else if let extensionDecl = decl.as(ExtensionDeclSyntax.self) {
            for token in extensionDecl.extendedType.tokens(viewMode: .sourceAccurate) {
                if case .identifier(let name) = token.tokenKind { result.insert(unquoted(name)) }
            }
        } else if let operatorDecl = decl.as(OperatorDeclSyntax.self) {
            result.insert(operatorDecl.name.text)
        }
        // Members: a method added to `Tensor` is used as `x.method()`, a name the using cell writes.
        if let group = decl.asProtocol(DeclGroupSyntax.self) {
            for member in group.memberBlock.members {
                let inner = member.decl
                if let variable = inner.as(VariableDeclSyntax.self) {
                    for binding in variable.bindings { names(in: binding.pattern, into: &result) }
                } else if let enumCase = inner.as(EnumCaseDeclSyntax.self) {
                    for element in enumCase.elements { result.insert(unquoted(element.name.text)) }
                } else {
                    result.formUnion(declaredNames(inner))
                }
            }
        }
        return result
    }
}

/// Names used where they may be changed: assigned (`x = `, `x.a += `, `x[i] = `), passed
/// `inout`, the base of a method call, or an argument of a function not known to only read.
final class MutationFinder: SyntaxVisitor {
    /// Every name that may change (the def/use analysis' conservative view).
    var names: Set<String> = []
    /// Only what surely or probably changes: assigned, passed `inout`, or a method other than
    /// `readingMethods` called on it; being an argument of a function does not count.
    var changed: Set<String> = []

    /// Methods that only read the value they are called on (not counted in `changed`).
    static let readingMethods: Set<String> = [
        "map", "filter", "reduce", "sorted", "shuffled", "compactMap", "flatMap", "contains", "prefix", "suffix",
        "dropFirst", "dropLast", "joined", "enumerated", "reversed", "min", "max", "sum", "mean", "std", "argmax",
        "argmin", "predict", "evaluate", "reshaped", "transposed", "firstIndex", "lastIndex", "allSatisfy", "split",
        "lowercased", "uppercased", "hasPrefix", "hasSuffix", "replacingOccurrences", "components", "formatted",
        "trimmingCharacters", "count", "index", "distance", "starts", "elementsEqual", "description",
    ]

    override func visit(_ node: DeclReferenceExprSyntax) -> SyntaxVisitorContinueKind {
        guard case .identifier(let name) = node.baseName.tokenKind else { return .visitChildren }
        var current = Syntax(node)
        var calledAsMethod = false, calledChangingMethod = false
        // Climb the access chain rooted at the name: x.a, x[i], x!, x?.a
        while let parent = current.parent {
            if let member = parent.as(MemberAccessExprSyntax.self), member.base.map(Syntax.init) == current {
                if let call = member.parent?.as(FunctionCallExprSyntax.self), Syntax(call.calledExpression) == Syntax(member) {
                    calledAsMethod = true
                    if !Self.readingMethods.contains(member.declName.baseName.text) { calledChangingMethod = true }
                }
                current = parent
            } else if let subscriptCall = parent.as(SubscriptCallExprSyntax.self), Syntax(subscriptCall.calledExpression) == current {
                current = parent
            } else if parent.is(ForceUnwrapExprSyntax.self) || parent.is(OptionalChainingExprSyntax.self) {
                current = parent
            } else {
                break
            }
        }
        let written = current.parent?.is(InOutExprSyntax.self) == true || Self.isAssigned(current)
        if calledAsMethod || written || Self.isPassed(current) { names.insert(CellSymbols.unquoted(name)) }
        if calledChangingMethod || written { changed.insert(CellSymbols.unquoted(name)) }
        return .visitChildren
    }

    /// The left operand of `=` or a compound assignment (in the parser's unfolded sequence).
    static func isAssigned(_ node: Syntax) -> Bool {
        guard let list = node.parent?.as(ExprListSyntax.self) else { return false }
        var iterator = list.makeIterator()
        while let element = iterator.next() {
            if Syntax(element) == node, let next = iterator.next() {
                if next.is(AssignmentExprSyntax.self) { return true }
                if let binary = next.as(BinaryOperatorExprSyntax.self) {
                    let name = binary.operator.text
                    return name.hasSuffix("=") && !["==", "!=", "<=", ">=", "===", "!=="].contains(name)
                }
                return false
            }
        }
        return false
    }

    /// An argument of a call to something other than a known reading function.
    static func isPassed(_ node: Syntax) -> Bool {
        guard let argument = node.parent?.as(LabeledExprSyntax.self),
              let call = argument.parent?.parent?.as(FunctionCallExprSyntax.self) else { return false }
        if let callee = call.calledExpression.as(DeclReferenceExprSyntax.self),
           CellSymbols.readingFunctions.contains(callee.baseName.text) {
            return false
        }
        return true
    }
}

/// Keys of `cache: true` cells from def/use: SHA-256 of the salt (kernel build id and Swift
/// version), the cell's code and the options that change its result, the parameters it
/// reads, and the keys of the cells it depends on (computed the same way, so transitively):
/// the cells that define a name it uses (all of them when several do) and the earlier
/// cells that may change such a name. A cell that merely precedes it is not an input.
/// At run time the kernel adds the random generator's state on entry to the key.
enum CellCacheKeys {
    /// The keys of the cached cells, and why some cannot be cached (by cell index).
    static func compute(_ cells: [Cell], parameters: [Parameter], salt: String) -> (keys: [Int: String], blockers: [Int: String]) {
        // Without a cached cell there is nothing to key: skip parsing every cell again.
        guard cells.contains(where: \.options.cache) else { return ([:], [:]) }
        let graph = DependencyGraph(cells, parameters: parameters, salt: salt)
        var keys: [Int: String] = [:], blockers: [Int: String] = [:]
        for (position, cell) in cells.enumerated() where cell.options.cache {
            keys[cell.index] = graph.key(position)
            blockers[cell.index] = graph.cacheBlocker(position)
        }
        return (keys, blockers)
    }
}

/// The def/use graph of a notebook's evaluated cells.
final class DependencyGraph {
    let cells: [Cell]
    let symbols: [CellSymbols]
    let parameters: [Parameter]
    let salt: String
    private var keys: [Int: String] = [:]
    private var visiting: Set<Int> = []

    /// What each cell reads and may change, counting what the functions and types it uses
    /// read and change: a function reads the globals as they are when it is called, and
    /// calling one that assigns a global changes that global.
    let reads: [Set<String>]
    let changes: [Set<String>]
    /// By name: the cells declaring it (a function or type), binding it, and that may change it.
    private let declaringCells: [String: [Int]]
    private let bindingCells: [String: [Int]]
    private let changingCells: [String: [Int]]

    init(_ cells: [Cell], parameters: [Parameter], salt: String) {
        self.cells = cells
        let symbols = cells.map { CellSymbols(source: $0.displaySource) }
        self.symbols = symbols
        self.parameters = parameters
        self.salt = salt
        var declaringCells: [String: [Int]] = [:]
        for (position, cell) in symbols.enumerated() {
            for name in cell.declarations { declaringCells[name, default: []].append(position) }
        }
        var reads = symbols.map(\.uses)
        var changes = symbols.map(\.mutates)
        for position in symbols.indices {
            // Through the cells declaring what it reads, and the cells declaring what those read.
            var pending = Array(reads[position])
            var visited: Set<Int> = [position]
            while let name = pending.popLast() {
                for other in declaringCells[name] ?? [] where visited.insert(other).inserted {
                    for read in symbols[other].declarationReads where reads[position].insert(read).inserted {
                        pending.append(read)
                    }
                    changes[position].formUnion(symbols[other].declarationChanges)
                }
            }
        }
        self.reads = reads
        self.changes = changes
        self.declaringCells = declaringCells
        var bindingCells: [String: [Int]] = [:]
        var changingCells: [String: [Int]] = [:]
        for position in symbols.indices {
            for name in symbols[position].values { bindingCells[name, default: []].append(position) }
            for name in changes[position] { changingCells[name, default: []].append(position) }
        }
        self.bindingCells = bindingCells
        self.changingCells = changingCells
    }

    /// Positions (in `cells`) of the cells the cell at `position` depends on directly.
    func dependencies(of position: Int) -> [Int] {
        var result: Set<Int> = []
        for name in reads[position] {
            for other in declaringCells[name] ?? [] where other != position { result.insert(other) }
            for other in (bindingCells[name] ?? []) + (changingCells[name] ?? []) where other < position { result.insert(other) }
        }
        return result.sorted()
    }

    /// The parameters the cell at `position` reads (a cell defining the same name shadows nothing:
    /// Swift rejects redeclarations at top level).
    func parametersRead(by position: Int) -> [Parameter] {
        parameters.filter { symbols[position].uses.contains($0.name) }
    }

    func key(_ position: Int) -> String {
        if let key = keys[position] { return key }
        let cell = cells[position]
        var hasher = SHA256()
        func add(_ text: String) {
            hasher.update(data: Data(text.utf8))
            hasher.update(data: Data([0]))
        }
        add("nbrun cell key 2")
        add(salt)
        add(cell.displaySource)
        add(Self.resultOptions(cell.options))
        for parameter in parametersRead(by: position) {
            add("param \(parameter.name)=\(parameter.value.swiftType):\(parameter.value.swiftLiteral)")
        }
        visiting.insert(position)
        for dependency in dependencies(of: position) {
            // A cycle (a later cell's function used here, using this cell's values): its code only.
            add(visiting.contains(dependency) ? "code \(cells[dependency].displaySource)" : "dep \(key(dependency))")
        }
        visiting.remove(position)
        let key = hasher.finalize().hex
        keys[position] = key
        return key
    }

    /// Every cell's `declarationEffects` by name, and the functions changing their arguments.
    private lazy var declarationEffects: (effects: [String: CellSymbols.Effect], changingArguments: Set<String>) = {
        var effects: [String: CellSymbols.Effect] = [:]
        var changingArguments: Set<String> = []
        for cell in symbols {
            for (name, effect) in cell.declarationEffects { effects[name, default: CellSymbols.Effect()].merge(effect) }
            changingArguments.formUnion(cell.functionsChangingArguments)
        }
        return (effects, changingArguments)
    }()

    /// Why the cached cell at `position` must run rather than be restored, if it must: a
    /// function or type it uses (through others, transitively) changes a value another cell
    /// binds (`func train() { model.fit(...) }`), or it passes such a value to a function that
    /// changes what it is passed (`train(model)`). Restored, the cell would bind its own values
    /// again but not redo those changes, and later cells would see them undone. (What the
    /// cell's own code changes is checked where it is prepared.)
    func cacheBlocker(_ position: Int) -> String? {
        let own = symbols[position]
        func boundElsewhere(_ name: String) -> Bool {
            !own.values.contains(name) && (bindingCells[name] ?? []).contains { $0 != position }
        }
        let (effects, changingArguments) = declarationEffects
        var pending = Array(own.uses), visited: Set<String> = []
        while let name = pending.popLast() {
            guard visited.insert(name).inserted, let effect = effects[name] else { continue }
            let changed = effect.changes.filter(boundElsewhere).sorted().first
                ?? effect.passed.first { changingArguments.contains($0.function) && boundElsewhere($0.argument) }?.argument
            if let changed {
                return "'\(name)' changes '\(changed)', which another cell defines, and a restored cell would not change it again "
                    + "(bind '\(changed)' in this cell, or call '\(name)' outside the cached cell)"
            }
            pending.append(contentsOf: effect.reads)
        }
        if let passed = own.passedArguments.first(where: { changingArguments.contains($0.function) && boundElsewhere($0.argument) }) {
            return "it passes '\(passed.argument)', which another cell defines, to '\(passed.function)', which changes what it "
                + "is passed, and a restored cell would not change it again (bind '\(passed.argument)' in this cell to cache them together)"
        }
        return nil
    }

    /// The options that change what a cell computes or shows.
    static func resultOptions(_ options: CellOptions) -> String {
        "output=\(options.output) error=\(options.error) fig=\(options.figWidth.map(String.init) ?? "-")x\(options.figHeight.map(String.init) ?? "-")"
    }
}
