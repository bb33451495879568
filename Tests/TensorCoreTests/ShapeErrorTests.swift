import Testing
@testable import TensorCore

/// Shape errors stop the program (fatalError, so the message survives -O builds); exit tests
/// run each case in a child process and read the message it printed.
@Suite struct ShapeErrorTests {
    @Test func broadcastMismatchNamesOperationAndBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("add: shapes [2, 3] and [4] do not broadcast"), "\(message)")
    }

    @Test func matmulMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("matmul(transposeA: false, transposeB: false): shapes [2, 3] and [4, 5] do not chain"), "\(message)")
    }

    @Test func reshapeMismatchNamesBothShapes() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor.zeros([2, 3]).reshaped(to: [4, 2])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("reshaped(to:): shapes [2, 3] and [4, 2] hold different numbers of values"), "\(message)")
    }
}
