import Testing
@testable import TensorCore

/// Front-matter parameters are `Double` and `Int` constants; they meet tensors without `Float(...)`.
@Suite struct NumberTypeTests {
    // As the generated program declares `learningRate: 0.1` and `count: 4`.
    let learningRate: Double = 0.1
    let count: Int = 4
    let x = Tensor([1, -2, 3.5])

    @Test func doublesAndIntsWorkAsFloatsOnEitherSide() {
        let rate = Float(learningRate)
        #expect(x * learningRate == x * rate && learningRate * x == rate * x)
        #expect(x / learningRate == x / rate && learningRate / x == rate / x)
        #expect(x + learningRate == x + rate && learningRate - x == rate - x && x - learningRate == x - rate)
        #expect(x * count == x * 4 && count * x == 4 * x && x / count == x / 4 && count / x == 4 / x)
        #expect(x + count == x + 4 && count - x == 4 - x && x - count == x - 4 && count + x == 4 + x)
        var w = x
        w -= x * learningRate
        #expect(w == x - x * rate)
        w = x
        w *= count
        w += learningRate
        w /= 2.0 as Double
        w -= 1 as Int
        #expect(w == (x * 4 + rate) / 2 - 1)
        #expect((x .> learningRate) == (x .> rate) && (x .<= count) == (x .<= 4) && (x .< 0.5 as Double) == (x .< 0.5))
        #expect(Tensor.full([2], learningRate) == Tensor.full([2], rate) && Tensor.full([1], count) == Tensor([4]))
        #expect(pow(x, 2.0 as Double) == pow(x, 2) && pow(x, count) == pow(x, 4))
    }

    @Test func literalsStayFloats() {
        // Float(0.1 as Double) and the Float literal 0.1 agree for the usual rates; the
        // overloads are disfavoured, so a literal is a Float (no Double round trip) anyway.
        for text in ["0.1", "0.2", "0.01", "0.05", "0.001", "1e-3", "3e-4", "2e-3", "4e-3", "1e-4", "0.9", "0.999"] {
            #expect(Float(text)! == Float(Double(text)!), "\(text)")
        }
        #expect(x * 0.1 == x * Float(0.1))
    }
}
