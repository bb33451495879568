import Testing
@testable import Plotting

@Suite struct ColormapTests {
    @Test func viridisMatchesMatplotlibAtStops() {
        #expect(Colormap.viridis.color(at: 0).hex == 0x440154)
        #expect(Colormap.viridis.color(at: 1).hex == 0xfde725)
        #expect(Colormap.viridis.color(at: 0.5).hex == 0x21918c)
    }

    @Test func interpolatesBetweenStops() {
        // Halfway between stops 0x440154 and 0x470d60.
        let c = Colormap.viridis.color(at: 1.0 / 64)
        #expect(c.red == 0x46 && c.green == 0x07 && c.blue == 0x5a)
    }

    @Test func clampsOutOfRangeAndShowsNaNAsGray() {
        #expect(Colormap.viridis.color(at: -3) == Colormap.viridis.color(at: 0))
        #expect(Colormap.viridis.color(at: 7) == Colormap.viridis.color(at: 1))
        #expect(Colormap.viridis.color(at: .nan).hex == 0xd0d0d0)
    }

    @Test func divergingMapIsNearWhiteAtTheCentre() {
        let mid = Colormap.redBlue.color(at: 0.5)
        #expect(mid.luminance > 0.95)
        #expect(Colormap.redBlue.color(at: 0).blue > Colormap.redBlue.color(at: 0).red)
        #expect(Colormap.redBlue.color(at: 1).red > Colormap.redBlue.color(at: 1).blue)
        #expect(Colormap.redBlue.isDiverging && !Colormap.viridis.isDiverging)
    }

    @Test func sequentialMapsGetDarker() {
        for map in [Colormap.blues, .grayInverted] {
            let l = stride(from: 0.0, through: 1.0, by: 0.1).map { map.color(at: $0).luminance }
            #expect(zip(l, l.dropFirst()).allSatisfy { $0 > $1 }, "\(map)")
        }
        #expect(Colormap.gray.color(at: 0) == .black && Colormap.gray.color(at: 1) == .white)
    }

    @Test func lookupTableHas256Entries() {
        let table = Colormap.viridis.lookupTable()
        #expect(table.count == 256 && table[0].hex == 0x440154 && table[255].hex == 0xfde725)
    }

    @Test func libgdColourValues() {
        #expect(Color(hex: 0xff8000).gdValue == 0x00ff8000)
        #expect(Color(hex: 0x000000, alpha: 0).gdValue == 127 << 24)
        #expect(Color.tab10.count == 10 && Color.tab10[0].hex == 0x1f77b4)
        #expect(Color.cycle(12) == Color.tab10[2])
        #expect(Color(hex: 0x000000).lightened(1) == .white)
    }
}
