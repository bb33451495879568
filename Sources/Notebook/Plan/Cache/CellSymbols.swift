import SwiftParser
import SwiftSyntax

/// What one cell binds, declares, reads and may change, from its syntax: the def/use facts
/// behind the cell cache's keys (the kernel's `CellTracker` explains how they are used).
///
/// Deliberately conservative: any identifier or operator written in the cell counts as read
/// (member names included; argument labels and parameter names not); a name counts as changed
/// when it is assigned (`x = `, `x.a += `, `x[i] = `), passed `inout`, or the base of any
/// method call (a value type's `mutating` method looks like any other call).
struct CellSymbols {
    /// Top-level `let`/`var` names that hold data, with their keyword: visible to the cells after this one.
    var values: [(name: String, keyword: String)] = []
    /// Types, functions, operators, the members declared in them or in extensions, computed
    /// top-level variables and names bound to a closure literal: code, visible from anywhere.
    var declarations: Set<String> = []
    /// Of `declarations`, the names bound to a closure literal or computed (not data, though
    /// declared with `let`/`var`).
    var codeValues: Set<String> = []
    /// Every name written in the cell, but for member names (`x.name`, `.name`).
    var written: Set<String> = []
    /// Member names written in the cell: they read something only when the notebook declares
    /// them (a method or property added in an extension), never a global value.
    var members: Set<String> = []
    /// Names the cell's own code may change (assigned, `inout`, a method called on them).
    var changed: Set<String> = []
    /// Names declared inside the cell's code below top level (loop variables, closure and
    /// function parameters, locals of blocks): a change to one of these, when no cell binds the
    /// name at top level, stays inside the cell.
    var locals: Set<String> = []
    /// For each name the cell declares: what using it reads and may change, and the outside
    /// world it reads or writes untracked. A type's name and each of its members share the
    /// type's whole effect.
    var effects: [String: Effect] = [:]
    /// Static stored properties of the types the cell declares.
    var staticStored: Set<String> = []
    /// Names the cell calls as functions (`print(...)`), and where first (a byte offset).
    var called: [String: AbsolutePosition] = [:]
    /// The first API the cell's own code uses to read the outside world untracked, if any.
    var untrackedInput: String?
    /// The first API the cell's own code uses to change the outside world untracked, if any.
    var untrackedEffect: String?
    /// The first source of run-to-run differences the cell's own code uses, if any.
    var nondeterministic: String?
    /// The cell's own code uses `#line`, `#filePath` or another location literal.
    var usesLocation = false
    /// Top-level `var`s declared with `willSet` or `didSet` (data, whose setting runs code).
    var observed: Set<String> = []
    /// Top-level `var`s bound to a closure literal: other cells may assign them other code.
    var closureVariables: Set<String> = []
    /// The cell's top-level assignments of a closure literal or a function's name to a name
    /// (`onStep = { ... }`): what the assigned code does.
    var closureAssignments: [String: Effect] = [:]
    /// Names of the types the cell declares (struct, class, enum, actor, protocol), nested ones too.
    var typeDeclarations: Set<String> = []
    /// Extensions adding conformances (`extension Linear: CustomStringConvertible`): code that
    /// generic code (the engine, `print`) may call without the cell naming it, by extended type.
    var conformances: [(type: String, effect: Effect)] = []

    struct Effect: Equatable {
        var reads: Set<String> = []
        /// Member names its code writes (reads only where the notebook declares them).
        var members: Set<String> = []
        var changes: Set<String> = []
        var untrackedInput: String?
        var untrackedEffect: String?
        var nondeterministic: String?
        var usesLocation = false

        mutating func merge(_ other: Effect) {
            reads.formUnion(other.reads)
            members.formUnion(other.members)
            changes.formUnion(other.changes)
            untrackedInput = untrackedInput ?? other.untrackedInput
            untrackedEffect = untrackedEffect ?? other.untrackedEffect
            nondeterministic = nondeterministic ?? other.nondeterministic
            usesLocation = usesLocation || other.usesLocation
        }
    }

    var valueNames: Set<String> { Set(values.map(\.name)) }

    init(source: String) {
        self.init(tree: Parser.parse(source: source))
    }

    init(tree: SourceFileSyntax) {
        for item in tree.statements {
            guard case .decl(let decl) = item.item else { continue }
            if decl.is(ImportDeclSyntax.self) { continue }
            if let variable = decl.as(VariableDeclSyntax.self) {
                let keyword = variable.bindingSpecifier.text
                for binding in variable.bindings {
                    var names: Set<String> = []
                    Self.names(in: binding.pattern, into: &names)
                    let isClosure = binding.initializer.map { Self.isClosureLiteral($0.value) } == true
                    let isCode = (binding.accessorBlock != nil && !Self.isObserved(binding)) || isClosure
                    if isCode {
                        declarations.formUnion(names)
                        codeValues.formUnion(names)
                        if isClosure && keyword == "var" { closureVariables.formUnion(names) }
                        let effect = Self.effect(of: Syntax(binding), locals: Self.namesDeclared(in: binding.accessorBlock.map(Syntax.init)
                            ?? binding.initializer.map(Syntax.init) ?? Syntax(binding)))
                        for name in names { effects[name, default: Effect()].merge(effect) }
                    } else {
                        for name in names.sorted() { values.append((name, keyword)) }
                        if let accessors = binding.accessorBlock {
                            // Setting it runs its observers: their code counts wherever it is set.
                            observed.formUnion(names)
                            let effect = Self.effect(of: Syntax(accessors), locals: Self.namesDeclared(in: Syntax(accessors)))
                            for name in names { effects[name, default: Effect()].merge(effect) }
                        }
                    }
                }
            } else {
                let names = Self.declaredNames(decl)
                declarations.formUnion(names)
                let effect = Self.effect(of: Syntax(decl), locals: Self.namesDeclared(in: Syntax(decl)))
                for name in names { effects[name, default: Effect()].merge(effect) }
                staticStored.formUnion(Self.staticStoredProperties(decl))
                typeDeclarations.formUnion(Self.typeNames(in: decl))
                if let extensionDecl = decl.as(ExtensionDeclSyntax.self), extensionDecl.inheritanceClause != nil {
                    conformances.append((extensionDecl.extendedType.trimmedDescription, effect))
                }
            }
        }
        // What the cell's own code reads when it runs: its functions', types' and closures' bodies
        // run when they are used, and are read then (their effects), not by the cell declaring them.
        for item in tree.statements {
            if case .decl(let decl) = item.item {
                if decl.is(ImportDeclSyntax.self) { continue }
                if let variable = decl.as(VariableDeclSyntax.self) {
                    for binding in variable.bindings {
                        let isCode = binding.accessorBlock != nil || binding.initializer.map { Self.isClosureLiteral($0.value) } == true
                        if isCode { continue }
                        written.formUnion(Self.writtenNames(in: binding))
                        members.formUnion(Self.memberNames(in: binding))
                    }
                    continue
                }
                if !decl.is(MacroExpansionDeclSyntax.self) && !decl.is(IfConfigDeclSyntax.self) { continue }
            }
            written.formUnion(Self.writtenNames(in: item))
            members.formUnion(Self.memberNames(in: item))
            if case .expr(let expression) = item.item, let (name, value) = Self.assignment(expression) {
                // `name = { ... }` or `name = function`: the code a closure variable now holds.
                if Self.isClosureLiteral(value) {
                    closureAssignments[name] = Self.effect(of: Syntax(value), locals: Self.namesDeclared(in: Syntax(value)))
                } else if let reference = value.as(DeclReferenceExprSyntax.self) {
                    closureAssignments[name] = Effect(reads: [Self.unquoted(reference.baseName.text)])
                }
            }
        }
        let finder = MutationFinder(viewMode: .sourceAccurate)
        finder.walk(tree)
        changed = finder.changed.subtracting(valueNames)
        locals = Self.namesDeclared(in: Syntax(tree)).subtracting(valueNames).subtracting(declarations)
        for token in tree.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind, let reference = token.parent?.as(DeclReferenceExprSyntax.self),
                  let call = reference.parent?.as(FunctionCallExprSyntax.self), call.calledExpression.id == reference.id,
                  called[name] == nil else { continue }
            called[name] = token.positionAfterSkippingLeadingTrivia
        }
        untrackedInput = OutsideWorld.untrackedInput(in: Syntax(tree))
        untrackedEffect = OutsideWorld.untrackedEffect(in: Syntax(tree))
        nondeterministic = OutsideWorld.nondeterministicSource(in: Syntax(tree))
        usesLocation = OutsideWorld.usesLocation(in: Syntax(tree))
    }

    /// `name = value` written as a statement (the parser leaves the sequence unfolded).
    static func assignment(_ expression: ExprSyntax) -> (String, ExprSyntax)? {
        guard let sequence = expression.as(SequenceExprSyntax.self), sequence.elements.count == 3 else { return nil }
        let parts = Array(sequence.elements)
        guard parts[1].is(AssignmentExprSyntax.self), let target = parts[0].as(DeclReferenceExprSyntax.self) else { return nil }
        return (unquoted(target.baseName.text), parts[2])
    }

    /// The names of the types a declaration declares, nested ones included.
    static func typeNames(in decl: DeclSyntax) -> Set<String> {
        var result: Set<String> = []
        if decl.is(StructDeclSyntax.self) || decl.is(ClassDeclSyntax.self) || decl.is(EnumDeclSyntax.self)
            || decl.is(ActorDeclSyntax.self) || decl.is(ProtocolDeclSyntax.self), let named = decl.asProtocol(NamedDeclSyntax.self) {
            result.insert(unquoted(named.name.text))
        }
        if let group = decl.asProtocol(DeclGroupSyntax.self) {
            for member in group.memberBlock.members { result.formUnion(typeNames(in: member.decl)) }
        }
        return result
    }

    /// What using a declaration reads and may change (its own locals and parameters aside).
    static func effect(of node: Syntax, locals: Set<String>) -> Effect {
        let finder = MutationFinder(viewMode: .sourceAccurate)
        finder.walk(node)
        return Effect(reads: writtenNames(in: node), members: memberNames(in: node), changes: finder.changed.subtracting(locals),
                      untrackedInput: OutsideWorld.untrackedInput(in: node), untrackedEffect: OutsideWorld.untrackedEffect(in: node),
                      nondeterministic: OutsideWorld.nondeterministicSource(in: node), usesLocation: OutsideWorld.usesLocation(in: node))
    }

    static func isClosureLiteral(_ expression: ExprSyntax) -> Bool {
        if expression.is(ClosureExprSyntax.self) { return true }
        // `{ ... } as (Int) -> Int`
        if let cast = expression.as(AsExprSyntax.self) { return isClosureLiteral(cast.expression) }
        if let sequence = expression.as(SequenceExprSyntax.self), let first = sequence.elements.first {
            return first.is(ClosureExprSyntax.self) && sequence.elements.count == 3
                && sequence.elements.dropFirst().first?.is(UnresolvedAsExprSyntax.self) == true
        }
        return false
    }

    /// The identifiers and operators written in `node`.
    static func writtenNames(in node: some SyntaxProtocol) -> Set<String> {
        var written: Set<String> = []
        for token in node.tokens(viewMode: .sourceAccurate) {
            // Argument labels, parameter names and tuple labels name nothing outside the call,
            // function or tuple; a member name is not a global (see `memberNames`).
            if let parent = token.parent, parent.is(LabeledExprSyntax.self) || parent.is(FunctionParameterSyntax.self)
                || parent.is(ClosureParameterSyntax.self) || parent.is(EnumCaseParameterSyntax.self)
                || parent.is(DeclNameArgumentSyntax.self) || parent.is(TupleTypeElementSyntax.self)
                || isMemberName(token) {
                continue
            }
            switch token.tokenKind {
            case .identifier(let name): written.insert(unquoted(name))
            case .binaryOperator(let name), .prefixOperator(let name), .postfixOperator(let name): written.insert(name)
            default: break
            }
        }
        return written
    }

    /// `name` in `x.name` or `.name`.
    static func isMemberName(_ token: TokenSyntax) -> Bool {
        guard let reference = token.parent?.as(DeclReferenceExprSyntax.self),
              let member = reference.parent?.as(MemberAccessExprSyntax.self) else { return false }
        return member.declName.id == reference.id
    }

    static func memberNames(in node: some SyntaxProtocol) -> Set<String> {
        var names: Set<String> = []
        for token in node.tokens(viewMode: .sourceAccurate) where isMemberName(token) {
            if case .identifier(let name) = token.tokenKind { names.insert(unquoted(name)) }
        }
        return names
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

    /// Every name declared inside `node`, at any depth: values, functions, types, locals,
    /// parameters and loop variables (a change to one of them stays inside).
    static func namesDeclared(in node: Syntax) -> Set<String> {
        var names: Set<String> = []
        for token in node.tokens(viewMode: .sourceAccurate) {
            guard case .identifier(let name) = token.tokenKind, let parent = token.parent else { continue }
            if parent.is(IdentifierPatternSyntax.self) || parent.is(FunctionParameterSyntax.self)
                || parent.is(ClosureParameterSyntax.self) || parent.is(ClosureShorthandParameterSyntax.self)
                || parent.is(FunctionDeclSyntax.self) || parent.is(StructDeclSyntax.self) || parent.is(ClassDeclSyntax.self)
                || parent.is(EnumDeclSyntax.self) || parent.is(ActorDeclSyntax.self) {
                names.insert(unquoted(name))
            }
        }
        return names
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

    /// `static var x = ...` / `static let` / `class var` stored in a type or extension (at any depth).
    static func staticStoredProperties(_ decl: DeclSyntax) -> Set<String> {
        var result: Set<String> = []
        guard let group = decl.asProtocol(DeclGroupSyntax.self) else { return result }
        for member in group.memberBlock.members {
            if let variable = member.decl.as(VariableDeclSyntax.self),
               variable.modifiers.contains(where: { $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class) }) {
                for binding in variable.bindings where binding.accessorBlock == nil || isObserved(binding) {
                    names(in: binding.pattern, into: &result)
                }
            } else {
                result.formUnion(staticStoredProperties(member.decl))
            }
        }
        return result
    }

    static func isObserved(_ binding: PatternBindingSyntax) -> Bool {
        guard case .accessors(let accessors)? = binding.accessorBlock?.accessors else { return false }
        return accessors.contains { $0.accessorSpecifier.tokenKind == .keyword(.willSet) || $0.accessorSpecifier.tokenKind == .keyword(.didSet) }
    }
}
