@_exported import TensorCore
@_exported import Autodiff
@_exported import NeuralNetwork
@_exported import Optimizers
@_exported import Datasets
@_exported import Plotting
