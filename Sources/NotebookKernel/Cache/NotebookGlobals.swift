import Foundation

/// A value the notebook bound at top level (a cell's `let` or `var`, a parameter), as the
/// generated program hands it to the kernel once bound: its name, how to read it, and for a
/// `var` how to set it (so a restored cell can put back what it did to it).
public struct NotebookGlobal {
    public let name: String
    let get: () -> Any
    /// Sets it to a value of its own type (false for another type); nil for a `let`.
    let set: ((Any) -> Bool)?
    /// Reads a value of its type from what `CachedValue.encode` wrote; nil for a `let`.
    let decode: ((Data) throws -> Any)?

    public init<T>(_ name: String, _ get: @escaping () -> T) {
        self.name = name
        self.get = get
        self.set = nil
        self.decode = nil
    }

    public init<T>(_ name: String, _ get: @escaping () -> T, set: @escaping (T) -> Void) {
        self.name = name
        self.get = get
        self.set = { value in
            guard let typed = value as? T else { return false }
            set(typed)
            return true
        }
        self.decode = { data in try CachedValue.load(T.self, from: data) }
    }
}

/// Every value the notebook has bound so far, by name: what the cell cache reads a cell's inputs
/// from and puts restored values into, what it compares before and after a cell to find changes
/// its code does not name, and what the differential check digests after each cell.
final class NotebookGlobals {
    nonisolated(unsafe) static let shared = NotebookGlobals()

    private(set) var byName: [String: NotebookGlobal] = [:]
    /// Names in the order they were bound.
    private(set) var names: [String] = []

    func register(_ globals: [NotebookGlobal]) {
        for global in globals {
            if byName.updateValue(global, forKey: global.name) == nil { names.append(global.name) }
        }
    }

    subscript(name: String) -> NotebookGlobal? { byName[name] }
}
