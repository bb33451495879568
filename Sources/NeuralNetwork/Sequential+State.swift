extension Sequential {
    /// Puts back what the initialiser, `add` and `compile` set: the layers (these objects, not
    /// copies), the optimizer, the loss and the metrics, as captured from a model earlier. Training mode and
    /// weights are left as they are: restore them on the layers. For checkpoints and the
    /// notebook cell cache, which put a model back into the state a cell left it in.
    package func restoreSetup(layers: [Layer], inputShape: [Int]?, optimizer: Optimizer?, loss: Loss, metrics: [Metric]) {
        self.layers = layers
        self.inputShape = inputShape
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
    }
}
