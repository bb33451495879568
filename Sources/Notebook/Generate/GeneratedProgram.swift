/// The generated `main.swift`, how its lines map back to the notebook, and the plan it was
/// generated from (the notebook, and which cells are cached: the build and run stages read them there).
public struct GeneratedProgram: Sendable {
    public var plan: ExecutionPlan
    public var source: String
    /// Where each compiled cell's code sits in `source`.
    public var regions: [Region]
    /// Columns moved by the `_nbDisplayLast(` wrapper, to map diagnostics back.
    public var columnShifts: [ColumnShift]
    /// Lines of `source` holding the cache's code around a cached cell (its closure's first and
    /// last lines, the call, the bindings taken from it). They keep their place in the generated
    /// file: what swiftc says about them is an echo of an error in the cell's code.
    public var cacheWrapperLines: Set<Int> = []

    /// A cell's code in the generated file.
    public struct Region: Sendable, Equatable {
        public var cellIndex: Int
        /// First line of the cell's code in `source`.
        public var generatedLine: Int
        /// The `.md` line of that first line.
        public var markdownLine: Int
        public var lineCount: Int
    }

    /// On `.md` line `markdownLine`, columns at or after `fromColumn` moved right by `width`.
    public struct ColumnShift: Sendable, Equatable {
        public var markdownLine: Int
        public var fromColumn: Int
        public var width: Int
    }

    /// The `.md` line for a line of the generated file: inside a cell, its line; between
    /// cells, the last line of the cell before (what an unclosed construct ran off).
    public func markdownLine(forGeneratedLine line: Int) -> (cellIndex: Int, line: Int)? {
        guard let region = regions.last(where: { $0.generatedLine <= line }) else { return nil }
        let offset = min(line - region.generatedLine, region.lineCount - 1)
        return (region.cellIndex, region.markdownLine + offset)
    }

    /// The column as written in the `.md`, undoing the display wrapper's shift.
    public func markdownColumn(_ column: Int, line: Int) -> Int {
        Self.markdownColumn(column, line: line, shifts: columnShifts)
    }

    /// `markdownColumn` for a list of shifts.
    static func markdownColumn(_ column: Int, line: Int, shifts: [ColumnShift]) -> Int {
        // Insertions at one column add up (a statement group's `do {`, a willTry mark, the display wrapper).
        var result = column, moved = 0
        for shift in shifts.filter({ $0.markdownLine == line }).sorted(by: { $0.fromColumn < $1.fromColumn }) {
            if column >= shift.fromColumn + moved + shift.width {
                result -= shift.width
                moved += shift.width
            }
        }
        return result
    }
}
