/// Cell boundaries as the generated program marks them: a method called on the cell's index,
/// written as a literal (`3._nbNextCell(4)` ends cell 3 and begins cell 4).
///
/// Why not `NotebookSession.endCell(3)`: in `main.swift` every top-level statement opens a scope
/// that holds the rest of the file, so swiftc finds what an unqualified name means by walking
/// through every top-level statement before it. Two such calls around each cell made compiling
/// 1000 cells take 25 s where the cells alone took 7.5. A member of an integer literal needs no
/// such lookup, and the generator puts the call inside the cell's last statement group (see
/// `ProgramGenerator`), so a cell costs the compiler what its own code costs, plus a constant.
extension Int {
    /// Cell `self` begins (the program's first cell, or one after a cell that began none).
    public func _nbBeginCell() {
        // `line` is not used by the session (the runner knows each cell's lines).
        NotebookSession.beginCell(self, line: 0)
    }

    /// Cell `self` ends; the next cell, if any, begins with a call of its own.
    public func _nbEndCell() {
        NotebookSession.endCell(self)
    }

    /// Cell `self` ends and cell `next` begins.
    public func _nbNextCell(_ next: Int) {
        NotebookSession.endCell(self)
        NotebookSession.beginCell(next, line: 0)
    }
}
