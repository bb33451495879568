import Testing
@testable import Datasets

@Test func DatasetsBuilds() { #expect(Bool(true)) }
