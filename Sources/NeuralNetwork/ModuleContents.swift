import Foundation

/// What a module holds in its stored properties, found by reflection (`Mirror`), as mlx-swift
/// and PyTorch find a module's parameters: the leaf `Variable`s (its own parameters) and the
/// modules (its submodules), each named after the property that holds it.
///
///     final class Block: Layer {
///         let inner = Linear(8, 8)                               // submodule "inner"
///         let heads = [Linear(8, 2), Linear(8, 2)]               // submodules "heads.0", "heads.1"
///         let scale = Variable(Tensor.ones([8]))                 // parameter "scale"
///         let experts: [String: Linear] = ["a": Linear(8, 8)]    // submodule "experts.a"
///         let gain: Variable? = nil                              // nothing while nil
///         ...
///     }
///
/// The walk looks at the module's stored properties (those of its superclasses first, then
/// its own, in declaration order) and inside optionals, arrays and dictionaries of them
/// (dictionary entries in the order of their keys, so names are the same on every run). It
/// does not look inside structs, tuples or enums, nor at `Tensor`s: a tensor a layer holds is
/// a constant or a buffer, which the layer declares in `namedBuffers`. A `Variable` computed by
/// an operation (a stored activation, say) is not a parameter; only leaves are.
///
/// Nothing is cached: every call reflects again, so a property changed after `init` (a layer
/// replaced, a weight reassigned) is seen at once. `benchmarks modules` measures the walk against a training step.
struct ModuleContents {
    /// The module's own parameters: leaf variables in its properties, by property name.
    var parameters: [(name: String, variable: Variable)] = []
    /// The modules held in its properties, by property name.
    var submodules: [(name: String, module: Module)] = []

    init(of module: Module) {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: module)
        while let current = mirror {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        for current in mirrors.reversed() {
            for child in current.children {
                guard let label = child.label else { continue }
                visit(child.value, name: Self.propertyName(label))
            }
        }
    }

    private mutating func visit(_ value: Any, name: String) {
        if let variable = value as? Variable {
            if variable.isLeaf { parameters.append((name, variable)) }
            return
        }
        if let module = value as? Module {
            submodules.append((name, module))
            return
        }
        if Self.holdsOnlyNumbers(value) { return }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first?.value { visit(wrapped, name: name) }
        case .collection:
            for (index, element) in mirror.children.enumerated() { visit(element.value, name: "\(name).\(index)") }
        case .dictionary:
            var entries: [(key: String, value: Any)] = []
            for pair in mirror.children {
                let parts = Array(Mirror(reflecting: pair.value).children)
                guard parts.count == 2 else { continue }
                entries.append((String(describing: parts[0].value), parts[1].value))
            }
            for entry in entries.sorted(by: { $0.key < $1.key }) { visit(entry.value, name: "\(name).\(entry.key)") }
        default:
            break
        }
    }

    /// Arrays of plain numbers (a lookup table, a layer's sizes) are skipped without reflecting
    /// every element: they can hold neither parameters nor modules.
    private static func holdsOnlyNumbers(_ value: Any) -> Bool {
        value is Tensor || value is [Float] || value is [Double] || value is [Int] || value is [Int32] || value is [UInt8]
            || value is [Bool] || value is [String]
    }

    /// `body`'s result, or `skipped` when `module` is already being walked on this thread: a
    /// module that holds one of its ancestors (a `parent` property) would otherwise be listed
    /// without end. Its contents are listed once, under the name the outer walk gives them.
    static func once<Result>(_ module: Module, skipped: Result, _ body: () -> Result) -> Result {
        let key = ObjectIdentifier(module)
        let walking = Walking.current
        guard walking.modules.insert(key).inserted else { return skipped }
        defer { walking.modules.remove(key) }
        return body()
    }

    /// The modules being walked on one thread.
    private final class Walking {
        var modules = Set<ObjectIdentifier>()

        static var current: Walking {
            if let pointer = pthread_getspecific(key) { return Unmanaged<Walking>.fromOpaque(pointer).takeUnretainedValue() }
            let walking = Walking()
            pthread_setspecific(key, Unmanaged.passRetained(walking).toOpaque())
            return walking
        }

        private static let key: pthread_key_t = {
            var key = pthread_key_t()
            pthread_key_create(&key) { pointer in
                #if os(Linux)
                Unmanaged<Walking>.fromOpaque(pointer!).release()
                #else
                Unmanaged<Walking>.fromOpaque(pointer).release()
                #endif
            }
            return key
        }()
    }

    /// The name a stored property is known by: `lazy var x` is stored as `$__lazy_storage_$_x`.
    static func propertyName(_ label: String) -> String {
        let lazyPrefix = "$__lazy_storage_$_"
        return label.hasPrefix(lazyPrefix) ? String(label.dropFirst(lazyPrefix.count)) : label
    }
}
