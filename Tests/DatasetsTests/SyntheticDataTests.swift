import Testing
@testable import Datasets

@Suite struct SyntheticDataTests {
    @Test func xorPoints() {
        let xor = SyntheticData.xor()
        #expect(xor.inputs.shape == [4, 2])
        #expect(xor.inputs.scalars == [0, 0, 0, 1, 1, 0, 1, 1])
        #expect(xor.labels == [0, 1, 1, 0])
    }

    @Test func xorCloudLabelsFollowTheNearestCorner() {
        let cloud = SyntheticData.xorCloud(count: 200, noise: 0.1, seed: 1)
        #expect(cloud.inputs.shape == [200, 2] && cloud.classCounts == [100, 100])
        for i in 0..<cloud.count {
            let a = cloud.inputs.scalars[2 * i] > 0.5 ? 1 : 0, b = cloud.inputs.scalars[2 * i + 1] > 0.5 ? 1 : 0
            #expect(cloud.labels[i] == a ^ b)   // noise 0.1 stays well inside 0.5 (5 standard deviations)
        }
    }

    @Test func twoMoonsShapeAndGeometry() {
        let moons = SyntheticData.twoMoons(count: 101, noise: 0, seed: 2)
        #expect(moons.inputs.shape == [101, 2] && moons.classCounts == [51, 50])
        for i in 0..<moons.count {
            let x = moons.inputs.scalars[2 * i], y = moons.inputs.scalars[2 * i + 1]
            // Without noise, class 0 lies on the unit circle, class 1 on the circle around (1, 0.5).
            let (cx, cy): (Float, Float) = moons.labels[i] == 0 ? (0, 0) : (1, 0.5)
            #expect(abs(((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() - 1) < 1e-5)
        }
    }

    @Test(arguments: [2, 3, 5]) func spiralsHaveKClasses(classes: Int) {
        let spirals = SyntheticData.spirals(countPerClass: 40, classes: classes, seed: 3)
        #expect(spirals.inputs.shape == [40 * classes, 2])
        #expect(spirals.classCounts == Array(repeating: 40, count: classes))
        #expect(spirals.inputs.scalars.allSatisfy { abs($0) <= 1 })
    }

    @Test func blobsAroundTheirCenters() {
        let blobs = SyntheticData.blobs(countPerClass: 500, centers: [[0, 0], [10, -5]], standardDeviation: 0.5, seed: 4)
        #expect(blobs.inputs.shape == [1000, 2] && blobs.classCounts == [500, 500])
        var sums: [[Float]] = [[0, 0], [0, 0]]
        for i in 0..<blobs.count {
            sums[blobs.labels[i]][0] += blobs.inputs.scalars[2 * i]
            sums[blobs.labels[i]][1] += blobs.inputs.scalars[2 * i + 1]
        }
        #expect(abs(sums[1][0] / 500 - 10) < 0.1 && abs(sums[1][1] / 500 + 5) < 0.1)
        #expect(abs(sums[0][0] / 500) < 0.1)
        let random = SyntheticData.blobs(countPerClass: 5, classes: 4, dimensions: 3, seed: 5)
        #expect(random.inputs.shape == [20, 3] && random.classCount == 4 && random.sampleShape == [3])
    }

    @Test func linearlySeparableKeepsTheMargin() {
        let data = SyntheticData.linearlySeparable(count: 300, margin: 0.2, weights: [2, 1], bias: -0.3, seed: 6)
        #expect(data.inputs.shape == [300, 2])
        #expect(data.classCounts.allSatisfy { $0 > 50 })
        let norm = Float(5).squareRoot()
        for i in 0..<data.count {
            let distance = (2 * data.inputs.scalars[2 * i] + data.inputs.scalars[2 * i + 1] - 0.3) / norm
            #expect(abs(distance) >= 0.2)
            #expect(data.labels[i] == (distance > 0 ? 1 : 0))
        }
    }

    @Test func deterministicForASeed() {
        func sets(_ seed: UInt64) -> [LabeledDataset] {
            [SyntheticData.xorCloud(count: 50, seed: seed), SyntheticData.twoMoons(count: 50, seed: seed),
             SyntheticData.spirals(countPerClass: 20, seed: seed), SyntheticData.blobs(countPerClass: 20, seed: seed),
             SyntheticData.linearlySeparable(count: 50, seed: seed)]
        }
        for (a, b) in zip(sets(11), sets(11)) {
            #expect(a.inputs.scalars == b.inputs.scalars && a.labels == b.labels)
        }
        for (a, b) in zip(sets(11), sets(12)) {
            #expect(a.inputs.scalars != b.inputs.scalars)
        }
    }

    @Test func shuffledSoAPrefixHoldsEveryClass() {
        #expect(Set(SyntheticData.spirals(countPerClass: 100, classes: 3, seed: 1).prefix(20).labels) == [0, 1, 2])
    }
}
