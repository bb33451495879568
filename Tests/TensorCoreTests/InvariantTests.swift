import Foundation
import Testing
@testable import TensorCore

/// `shape` and `scalars` always agree: the kernels index the values by the shape through
/// unchecked pointers. Setters that would break it stop the program (exit tests, which run the
/// case in a child process); changes that keep it work as before.
@Suite struct InvariantTests {
    @Test func settingShapeReshapesInPlaceWhenTheCountsAgree() {
        var t = Tensor([1, 2, 3, 4, 5, 6])
        t.shape = [2, 3]
        #expect(t.shape == [2, 3] && t[1, 0] == 4)
        t.shape.reverse()   // changed in place, checked once after
        #expect(t.shape == [3, 2] && t.scalars == [1, 2, 3, 4, 5, 6])
    }

    @Test func scalarsChangeInPlaceOrByAsManyValues() {
        var t = Tensor([[1, 2], [3, 4]])
        t.scalars[1] = 9
        t.scalars[3] += 1
        #expect(t == Tensor([[1, 9], [3, 5]]))
        t.scalars = [5, 6, 7, 8]
        #expect(t == Tensor([[5, 6], [7, 8]]))
        t.scalars.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(t.scalars[0] == -1 && t.shape == [2, 2])
        let copy = t
        t.scalars[0] = 0
        #expect(copy.scalars[0] == -1)   // still copy-on-write
    }

    @Test func shapeOfAnotherCountStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var t = Tensor([1, 2, 3, 4])
            t.shape = [300, 300]
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.shape: cannot set shape [300, 300] (90000 values) on a tensor of shape [4] (4 values)"), "\(message)")
    }

    @Test func scalarsOfAnotherCountStop() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var t = Tensor([[1, 2], [3, 4]])
            t.scalars = [1]
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.scalars: 1 values assigned to a tensor of shape [2, 2], which holds 4"), "\(message)")
    }

    @Test func appendingToScalarsStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var t = Tensor([1, 2])
            t.scalars.append(3)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.scalars: 3 values after a change to a tensor of shape [2], which holds 2"), "\(message)")
    }

    @Test func shapeCountsThatOverflowAreRefused() {
        #expect(checkedShapeCount([2, 3, 4]) == 24)
        #expect(checkedShapeCount([]) == 1)
        #expect(checkedShapeCount([5, 0, 7]) == 0)
        #expect(checkedShapeCount([-1, 2]) == nil)
        // 2^64 wraps to 0 in Int: accepted as an empty tensor before.
        #expect(checkedShapeCount([1 << 32, 1 << 32]) == nil)
        // A zero extent does not excuse the others, whichever comes first (as NumPy).
        #expect(checkedShapeCount([0, 1 << 32, 1 << 32]) == nil)
        #expect(checkedShapeCount([1 << 32, 1 << 32, 0]) == nil)
        // The byte count must fit too: 2^62 Floats are 2^64 bytes.
        #expect(checkedShapeCount([1 << 62]) == nil)
        #expect(checkedShapeCount([1 << 60]) == 1 << 60)
    }

    @Test func overflowingShapeStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor([], shape: [1 << 32, 1 << 32])
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor(_:shape:): shape [4294967296, 4294967296] holds more values than memory can address"), "\(message)")
    }

    @Test func replacingTheMutableBufferStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var t = Tensor([1, 2])
            t.withUnsafeMutableBufferPointer { $0 = UnsafeMutableBufferPointer(start: $0.baseAddress, count: 1) }
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("Tensor.withUnsafeMutableBufferPointer: the closure replaced the buffer"), "\(message)")
    }

    @Test func decodingChecksThatShapeAndValuesAgree() throws {
        // The keys stay those of the stored properties before (the cell cache reads them).
        let data = try JSONEncoder().encode(Tensor([[1, 2], [3, 4]]))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["shape", "scalars"])
        #expect(try JSONDecoder().decode(Tensor.self, from: data) == Tensor([[1, 2], [3, 4]]))

        for json in [#"{"shape": [300, 300], "scalars": [1, 2, 3, 4]}"#, #"{"shape": [-2, -2], "scalars": [1, 2, 3, 4]}"#,
                     #"{"shape": [4294967296, 4294967296], "scalars": []}"#] {
            #expect(throws: DecodingError.self, "\(json)") { try JSONDecoder().decode(Tensor.self, from: Data(json.utf8)) }
        }
    }
}
