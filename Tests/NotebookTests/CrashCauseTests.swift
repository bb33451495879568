import Testing
@testable import Notebook

/// What a crashed program printed, taken apart: the backtracer's output as Swift 6.3 prints it
/// for the crashes whose cause its first line does not name.
@Suite struct CrashCauseTests {
    /// Infinite recursion: the backtracer says "Bad pointer dereference" and numbers its frames to
    /// the real depth (it shows the first and last few dozen).
    static let stackOverflow = """
    *** Signal 11: Backtracing from 0x55dde6c70157... done ***

    *** Program crashed: Bad pointer dereference at 0x00007ffc251cbfe8 ***

    Platform: x86_64 Linux (Debian GNU/Linux 12 (bookworm))

    Thread 0 "crash-stack.319" crashed:

         0      0x000055dde6c70157 depth(_:) + 23 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4
         1 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         2 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         3 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         4 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         5 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         6 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         7 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         8 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
         9 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        10 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        11 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        12 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        13 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        14 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        15 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        16 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        17 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        18 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        19 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        20 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        21 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        22 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        23 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        24 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        25 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        26 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        27 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        28 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        29 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        30 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        31 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        32 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        33 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        34 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        35 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        36 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        37 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        38 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        39 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        40 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        41 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        42 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        43 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        44 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        45 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
        46 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
       ...
    130919 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130920 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130921 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130922 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130923 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130924 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130925 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130926 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130927 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130928 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130929 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130930 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130931 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130932 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130933 [ra] 0x000055dde6c7018d depth(_:) + 76 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:4:48
    130934 [ra] 0x000055dde6c70288 main + 55 in crash-stack.319d2be8c01d36f1 at /tmp/rh/exp/crash-stack.md:5:22
       ...

    Backtrace took 0.30s
    """

    /// `Int.max + 1`: a trap without a message, named by the backtracer's first frame.
    static let integerOverflow = """
    *** Signal 4: Backtracing from 0x5599b5ac536d... done ***

    *** Swift runtime failure: arithmetic overflow ***

    Platform: x86_64 Linux (Debian GNU/Linux 12 (bookworm))

    Thread 0 "crash-int.ff51a" crashed:

      0 [inlined] [system] 0x00005599b5ac536d Swift runtime failure: arithmetic overflow in crash-int.ff51a4c341d61551 at //<compiler-generated>
      1                    0x00005599b5ac536d main + 349 in crash-int.ff51a4c341d61551 at /tmp/rh/exp/crash-int.md:6:32
    ...

    Backtrace took 0.01s
    """

    @Test func aStackOverflowIsNamedWithItsFunctionAndDepth() {
        let report = CrashReport(stderr: "printed\n" + Self.stackOverflow, notebookPath: "/tmp/rh/exp/crash-stack.md")
        #expect(report.message == "stack overflow: depth(_:) called itself until the stack ran out, 130935 calls deep (infinite or too deep recursion)")
        #expect(report.markdownLines.first == 4)
        #expect(report.stderrBeforeBacktrace == "printed")
        let backtrace = report.backtrace ?? ""
        #expect(backtrace.split(separator: "\n").count < 25, "\(backtrace)")
        #expect(backtrace.contains("... 43 more identical frames ..."), "\(backtrace)")
        #expect(backtrace.contains("130934 [ra] 0x000055dde6c70288 main + 55"))
    }

    @Test func anIntegerOverflowIsNamed() {
        let report = CrashReport(stderr: Self.integerOverflow, notebookPath: "crash-int.md")
        #expect(report.message == "integer overflow: the result does not fit its integer type (Swift runtime failure: arithmetic overflow)")
        #expect(report.markdownLines == [6])
    }

    /// A bad pointer in a shallow stack stays a bad pointer.
    @Test func aShallowMemoryFaultIsNotAStackOverflow() {
        let trace = """
        *** Signal 11: Backtracing from 0x1... done ***

        *** Program crashed: Bad pointer dereference at 0x0000000000000008 ***

        Thread 0 crashed:

          0      0x000055dde6c70157 peek(_:) + 23 in prog at /x/nb.md:4
          1 [ra] 0x000055dde6c70288 main + 55 in prog at /x/nb.md:5:22
        """
        let report = CrashReport(stderr: trace, notebookPath: "nb.md")
        #expect(report.message == "Program crashed: Bad pointer dereference at 0x0000000000000008")
    }
}
