/// Models show as their summary table, like Keras' `model.summary()` in Jupyter.
extension ModelSummary: NotebookDisplayable {
    public var notebookDisplay: DisplayItem {
        var tableRows = rows.map { [$0.layer, $0.outputShape, Self.grouped($0.parameters)] }
        tableRows.append(["Total", "", Self.grouped(totalParameters)])
        return .table(headers: ["Layer", "Output shape", "Parameters"], rows: tableRows)
    }

    /// 235146 -> "235,146".
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 && digit.isNumber { text.append(",") }
            text.append(digit)
        }
        return text
    }
}

extension Sequential: NotebookDisplayable {
    public var notebookDisplay: DisplayItem { summary().notebookDisplay }
}
