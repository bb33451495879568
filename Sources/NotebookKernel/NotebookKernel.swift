@_exported import TensorCore
@_exported import Autodiff
@_exported import NeuralNetwork
@_exported import Optimizers
@_exported import Datasets
@_exported import Plotting
@_exported import ModelDiagrams
import Foundation

/// What the engine runs on (BLAS library, kernel set, threads), as a C string the caller frees:
/// `nbrun doctor` loads this library to ask, without compiling a program.
@_cdecl("nbrun_engine_description")
public func engineDescriptionForTool() -> UnsafeMutablePointer<CChar>? {
    strdup(BLASLibrary.current.description)
}
