import Foundation

/// Shows `value` in the report, below the cell's output so far, like Jupyter's `display`.
///
/// By type: `NotebookDisplayable` -> its item; any other `Module` -> its summary table;
/// `PNGRepresentable` (a `Figure`, a `Diagram`) -> PNG, a figure's data beside it (`FigureData`);
/// `Tensor` -> shape, dtype, min/mean/max and a preview; `DisplayItem` -> itself;
/// anything else -> its `description`.
///
/// A figure that cannot be drawn fails the cell with the drawing error, as a failed `check` does.
public func display(_ value: Any, file: StaticString = #filePath, line: UInt = #line) {
    do {
        NotebookSession.send(try DisplayItem.drawing(value))
    } catch {
        NotebookSession.failCheck("\(type(of: value)): could not draw PNG: \(error)", file: "\(file)", line: Int(line))
    }
}

/// The width in CSS pixels to show an image at: a figure rendered at `scale` 2 for sharp
/// high-DPI output has twice as many pixels as it should take on the page. Read by name
/// (`width`, `scale`) so any image type with those stored properties is shown right.
func logicalWidth(of value: Any) -> Int? {
    guard value is PNGRepresentable else { return nil }
    let children = Mirror(reflecting: value).children
    return children.first { $0.label == "width" }?.value as? Int
}

/// Shows the value of a cell's last expression (the generated program wraps it in this).
@_disfavoredOverload
public func _nbDisplayLast<T>(_ value: T, file: StaticString = #filePath, line: UInt = #line) {
    // Optional chaining on a `Void` call (`model?.reset()`) shows nothing either. (Not an
    // overload: `Void` and `Void?` overloads make `try { ... }()` ambiguous.)
    if T.self == Void?.self { return }
    display(value, file: file, line: line)
}

/// A last expression of type `Void` (`print(x)`, `array.append(y)`) shows nothing.
public func _nbDisplayLast(_ value: Void) {}

extension DisplayItem {
    /// The item for any value, chosen by its dynamic type (a figure that cannot be drawn: the error as text).
    public static func describing(_ value: Any) -> DisplayItem {
        do {
            return try drawing(value)
        } catch {
            return .text("\(type(of: value)): could not draw PNG: \(error)")
        }
    }

    /// The item for any value, chosen by its dynamic type; throws what drawing a figure threw.
    static func drawing(_ value: Any) throws -> DisplayItem {
        // An optional shows its value, or `nil`, not `Optional(...)`.
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return .text("nil") }
            return try drawing(wrapped)
        }
        if let item = value as? DisplayItem { return item }
        if let displayable = value as? NotebookDisplayable { return displayable.notebookDisplay }
        // A model of the user's own (a `Module` class in a cell) shows as its summary too.
        if let module = value as? Module { return module.summary().notebookDisplay }
        if let image = value as? PNGRepresentable {
            return .png(Data(try image.pngData()), width: logicalWidth(of: value), data: FigureData.describing(value))
        }
        if let tensor = value as? Tensor { return .text(tensor.summary) }
        return .text(String(describing: value))
    }
}
