@_exported import KernelProtocol
