/// Models show as their summary table, like Keras' `model.summary()` in Jupyter.
extension ModelSummary: NotebookDisplayable {
    public var notebookDisplay: DisplayItem {
        var tableRows = rows.map { [$0.layer, $0.outputShape, Self.grouped($0.parameters)] }
        tableRows.append(["Total", "", Self.grouped(totalParameters)])
        tableRows.append(["Trainable", "", Self.grouped(trainableParameters)])
        tableRows.append(["Non-trainable", "", Self.grouped(nonTrainableParameters)])
        return .table(headers: ["Layer", "Output shape", "Parameters"], rows: tableRows)
    }
}

extension Sequential: NotebookDisplayable {
    public var notebookDisplay: DisplayItem { summary().notebookDisplay }
}
