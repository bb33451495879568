import Foundation

/// The training mode of the modules that do not store one themselves: the set of those in
/// evaluation mode, by identity. Every module has a mode (training at first, as in PyTorch);
/// a layer whose call depends on it (`Dropout`, `BatchNorm`) stores its own `isTraining`, and
/// every other module's is kept here, so that a layer of your own needs no property for it and
/// can still read `isTraining` in its call.
///
/// An entry holds its module weakly: a module that is gone is no longer in evaluation mode, and
/// another module later at the same address is not taken for it. Entries of modules that are gone
/// are dropped as the set grows.
enum TrainingModes {
    private struct Entry {
        weak var module: AnyObject?
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var evaluating: [ObjectIdentifier: Entry] = [:]
    /// The count at which entries of modules that are gone are next dropped.
    nonisolated(unsafe) private static var nextSweep = 64

    static func isTraining(_ module: AnyObject) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let entry = evaluating[ObjectIdentifier(module)] else { return true }
        return entry.module !== module
    }

    static func setTraining(_ module: AnyObject, _ training: Bool) {
        lock.lock(); defer { lock.unlock() }
        if training {
            evaluating[ObjectIdentifier(module)] = nil
            return
        }
        evaluating[ObjectIdentifier(module)] = Entry(module: module)
        if evaluating.count >= nextSweep {
            evaluating = evaluating.filter { $0.value.module != nil }
            nextSweep = Swift.max(64, 2 * evaluating.count)
        }
    }
}
