import Foundation

/// A layer that `Sequential.save(to:)` can write and `Sequential.load(from:)` can build again:
/// Keras' `get_config()` and `from_config()`. The saved architecture holds, for each layer,
/// its type's name and its `configuration` (JSON); its weights go to the safetensors file.
/// Loading finds the type by that name, calls `init(configuration:)`, then sets the weights.
///
///     extension ResidualBlock: SavableLayer {
///         var configuration: Int { width }
///         convenience init(configuration width: Int) { self.init(width: width) }
///     }
///
/// A type declared at the top level of a notebook or program is found by its name
/// (`NotebookProgram.ResidualBlock`); one declared elsewhere (inside a function), or whose
/// `savedTypeName` is not its Swift name, must be registered once with
/// `ResidualBlock.register()` before loading.
public protocol SavableLayer: Layer {
    /// What `init(configuration:)` needs to build the layer again: sizes, rates, flags (not
    /// the weights). Any `Codable` type: a struct, an `Int`, an array.
    associatedtype Configuration: Codable
    /// The layer's configuration, as saved.
    var configuration: Configuration { get }
    /// A new layer of this configuration (its weights are set after, from the saved file).
    init(configuration: Configuration)
    /// The name the saved architecture stores; by default the type's full Swift name
    /// ("NotebookProgram.ResidualBlock"), which loading finds without registration.
    static var savedTypeName: String { get }
    /// Why a configuration read from a file cannot be built (a size below 1), or nil:
    /// `Sequential.load` asks before calling `init(configuration:)`, so a damaged or
    /// hand-edited file is an error rather than a stop in the initialiser. Default: nil.
    static func problem(with configuration: Configuration) -> String?
}

extension SavableLayer {
    public static var savedTypeName: String { String(reflecting: Self.self) }
    public static func problem(with configuration: Configuration) -> String? { nil }

    /// Lets `Sequential.load` build layers saved under `savedTypeName`: needed for a type the
    /// loader cannot find by its Swift name (declared inside a function, or renamed). Once is enough.
    public static func register() {
        SavedLayer.register(Self.self)
    }
}

/// Configurations that know how many weights their layer holds (the built-in layers'), so that
/// loading refuses an architecture asking for more than the file holds before allocating it.
protocol CountsParameters {
    /// The number of trainable values, or nil when it overflows `Int`.
    var parameterCount: Int? { get }
}

/// One layer of a saved architecture: `{"TYPE": CONFIGURATION}`, the format `LayerSpec` wrote
/// (so files saved before this type existed still load). Decoding finds the type and reads its
/// configuration; `makeLayer()` builds the layer.
struct SavedLayer: Codable {
    /// The layer's `savedTypeName`.
    let typeName: String
    /// Its Swift type's name, for messages ("Linear", "ResidualBlock").
    let layerName: String
    let configuration: any Codable
    /// Why the configuration cannot be built, or nil.
    let problem: String?
    /// The weights the layer will hold, when its configuration counts them.
    let parameterCount: Int?
    let makeLayer: () -> Layer

    /// The entry of `layer`, or nil when it does not adopt `SavableLayer`.
    init?(_ layer: Layer) {
        guard let savable = layer as? any SavableLayer else { return nil }
        self.init(savable: savable)
    }

    private init<L: SavableLayer>(savable layer: L) {
        self.init(L.self, configuration: layer.configuration)
    }

    private init<L: SavableLayer>(_ type: L.Type, configuration: L.Configuration) {
        typeName = L.savedTypeName
        layerName = String(describing: L.self)
        self.configuration = configuration
        problem = L.problem(with: configuration)
        parameterCount = (configuration as? CountsParameters).map { $0.parameterCount ?? .max }
        makeLayer = { L(configuration: configuration) }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(configuration, forKey: Key(typeName))
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a layer is one {\"TYPE\": CONFIGURATION} pair, found keys \(container.allKeys.map(\.stringValue))"))
        }
        guard let type = SavedLayer.type(named: key.stringValue) else {
            throw UnknownLayerType(name: key.stringValue)
        }
        self = try SavedLayer.decode(type, from: container, key: key)
    }

    private static func decode<L: SavableLayer>(_ type: L.Type, from container: KeyedDecodingContainer<Key>, key: Key) throws -> SavedLayer {
        SavedLayer(type, configuration: try container.decode(L.Configuration.self, forKey: key))
    }

    // MARK: - Finding types by name

    nonisolated(unsafe) private static var registered: [String: any SavableLayer.Type] = [
        Linear.savedTypeName: Linear.self, Conv2D.savedTypeName: Conv2D.self,
        MaxPool2D.savedTypeName: MaxPool2D.self, AvgPool2D.savedTypeName: AvgPool2D.self,
        Flatten.savedTypeName: Flatten.self, Reshape.savedTypeName: Reshape.self, Dropout.savedTypeName: Dropout.self,
        BatchNorm.savedTypeName: BatchNorm.self, LSTM.savedTypeName: LSTM.self, ActivationLayer.savedTypeName: ActivationLayer.self,
        Sequential.savedTypeName: Sequential.self,
    ]
    private static let lock = NSLock()

    static func register(_ type: any SavableLayer.Type) {
        lock.lock()
        defer { lock.unlock() }
        registered[type.savedTypeName] = type
    }

    static func unregister(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        registered[name] = nil
    }

    /// Each registered name with its type's full Swift name.
    static var registeredTypeNames: [String: String] {
        lock.lock()
        defer { lock.unlock() }
        return registered.mapValues { String(reflecting: $0) }
    }

    /// A registered type, else the type of that Swift name (`Module.Type`) if it adopts `SavableLayer`.
    static func type(named name: String) -> (any SavableLayer.Type)? {
        lock.lock()
        let known = registered[name]
        lock.unlock()
        if let known { return known }
        guard name.contains("."), let type = _typeByName(name) as? any SavableLayer.Type, type.savedTypeName == name else { return nil }
        return type
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

/// A saved layer whose type this program does not know.
struct UnknownLayerType: Error, CustomStringConvertible {
    var name: String
    var description: String {
        // The type's own name, after the module's ("NotebookProgram.ResidualBlock"); a name such as
        // "...." or "a." has none (it stopped the program here, found by the model fuzz target).
        let typeName = name.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
        if name.contains("."), !typeName.isEmpty {
            return "has a layer of type \"\(name)\", which this program does not define: declare the type (adopting SavableLayer) "
                + "at the top level of the notebook or program, or call \(typeName).register() before loading"
        }
        return "has a layer of type \"\(name)\", which nbrun does not know (a newer nbrun's layer, or a type registered "
            + "under that name with register() in the program that saved it)"
    }
}

// MARK: - Checks of the built-in layers' configurations

/// "has NAME VALUE; it must be at least 1" for the first size below 1, or nil.
func positiveSizes(_ values: [(String, Int)]) -> String? {
    values.first { $0.1 < 1 }.map { "has \($0.0) \($0.1); it must be at least 1" }
}

/// The product, or nil when it overflows `Int`.
func checkedProduct(_ factors: Int...) -> Int? {
    var result = 1
    for factor in factors {
        let (next, overflow) = result.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        result = next
    }
    return result
}

/// The sum, or nil when a term is nil or it overflows `Int`.
func checkedSum(_ terms: Int?...) -> Int? {
    var result = 0
    for term in terms {
        guard let term else { return nil }
        let (next, overflow) = result.addingReportingOverflow(term)
        if overflow { return nil }
        result = next
    }
    return result
}

/// The layer types `Sequential.load` finds by saved name (the engine's, and those registered with
/// `SavableLayer.register()`): engine-wide state, which the notebook cell cache keys cells on and
/// puts back when it restores a cell that registered a type.
public enum LayerTypeRegistry {
    /// Each registered saved name with its type's full Swift name (`String(reflecting:)`).
    public static var typeNames: [String: String] { SavedLayer.registeredTypeNames }

    /// Registers `type` under its `savedTypeName`.
    public static func register(_ type: any SavableLayer.Type) { SavedLayer.register(type) }

    /// Forgets the type registered under `name`.
    public static func remove(_ name: String) { SavedLayer.unregister(name) }
}

/// A layer's kind and configuration as `Sequential.save` writes it, `{"TYPE": CONFIGURATION}`
/// JSON, and a new layer from it: for checkpoints and the notebook cell cache, which rebuild
/// layers a cell created.
public enum LayerArchive {
    /// The layer's saved form; nil when it does not adopt `SavableLayer`.
    public static func encode(_ layer: Layer) throws -> Data? {
        guard let saved = SavedLayer(layer) else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(saved)
    }

    /// A new layer (weights freshly initialised) from what `encode` wrote.
    ///
    /// - Throws: for an unknown type (see `SavableLayer.register()`) or an impossible configuration.
    public static func decode(_ data: Data) throws -> Layer {
        let saved = try JSONDecoder().decode(SavedLayer.self, from: data)
        if let problem = saved.problem { throw ModelFileError(file: "a saved layer", problem: "\(saved.layerName) \(problem)") }
        return saved.makeLayer()
    }
}
