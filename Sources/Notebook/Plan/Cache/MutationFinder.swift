import SwiftSyntax

/// Names used where they may be changed: assigned (`x = `, `x.a += `, `x[i] = `), passed
/// `inout`, or the base of a method call.
final class MutationFinder: SyntaxVisitor {
    /// The names that may change.
    var changed: Set<String> = []

    override func visit(_ node: DeclReferenceExprSyntax) -> SyntaxVisitorContinueKind {
        guard case .identifier(let name) = node.baseName.tokenKind else { return .visitChildren }
        var current = Syntax(node)
        var calledAsMethod = false
        // Climb the access chain rooted at the name: x.a, x[i], x!, x?.a
        while let parent = current.parent {
            if let member = parent.as(MemberAccessExprSyntax.self), member.base.map(Syntax.init) == current {
                if let call = member.parent?.as(FunctionCallExprSyntax.self), Syntax(call.calledExpression) == Syntax(member) {
                    calledAsMethod = true
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
        if calledAsMethod || written { changed.insert(CellSymbols.unquoted(name)) }
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
}
