import Testing
@testable import Datasets

@Suite struct NormalizationTests {
    @Test func globalStatistics() {
        let x = Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
        let normalization = Normalization.fit(x)
        #expect(normalization.mean == [4.5])
        #expect(abs(normalization.standardDeviation[0] - Float(5.25).squareRoot()) < 1e-6)   // population variance of 1...8 is 5.25
        let y = normalization.apply(x)
        let mean = y.scalars.reduce(0, +) / 8
        let variance = y.scalars.map { $0 * $0 }.reduce(0, +) / 8
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5)
        #expect(zip(normalization.invert(y).scalars, x.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func perFeatureStatisticsAndConstantColumns() {
        // Column 0 is 0, 2, 4; column 1 is always 7.
        let x = Tensor([0, 7, 2, 7, 4, 7], shape: [3, 2])
        let normalization = Normalization.fit(x, perFeature: true)
        #expect(normalization.mean == [2, 7])
        #expect(abs(normalization.standardDeviation[0] - (8 / Float(3)).squareRoot()) < 1e-6)
        let y = normalization.apply(x)
        #expect(y.scalars[1] == 0 && y.scalars[3] == 0 && y.scalars[5] == 0)   // constant column maps to 0, not NaN
        #expect(abs(y.scalars[0] + y.scalars[4]) < 1e-6 && y.scalars[2] == 0)
    }

    @Test func oneHotEncoding() {
        let encoded = oneHot([2, 0, 1], classCount: 3)
        #expect(encoded.shape == [3, 3])
        #expect(encoded.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect(oneHot([], classCount: 4).shape == [0, 4])
    }

    @Test func pixelNormalizations() {
        #expect(PixelNormalization.none.value(of: 255) == 255)
        #expect(PixelNormalization.unitInterval.value(of: 255) == 1)
        #expect(PixelNormalization.unitInterval.value(of: 51) == Float(51) / 255)
        #expect(PixelNormalization.mnist.value(of: 0) == (0 - Float(0.1307)) / Float(0.3081))
    }
}
