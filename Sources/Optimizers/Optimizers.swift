@_exported import NeuralNetwork
