import Testing
@testable import Plotting

@Test func PlottingBuilds() { #expect(Bool(true)) }
