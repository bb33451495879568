@_exported import TensorCore
