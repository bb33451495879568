import Testing
@testable import Autodiff

@Test func AutodiffBuilds() { #expect(Bool(true)) }
