import Foundation

/// Asserts something a notebook claims, as a test would: when `condition` is false, the cell
/// and the notebook fail with `message` and the .md line of the call, shown in red in the
/// report, and the notebook stops there (as a failing test does). `nbrun test` counts it.
///
///     check(accuracy >= 0.97, "the network reaches 97% on the test set")
public func check(_ condition: Bool, _ message: @autoclosure () -> String = "check failed",
                  file: StaticString = #filePath, line: UInt = #line) {
    if condition { return }
    NotebookSession.failCheck(message(), file: "\(file)", line: Int(line))
}

/// Checks that `observed` is within `tolerance` of `expected`: |observed - expected| <= tolerance.
///
///     expectClose(loss, 0.6931, tolerance: 1e-3)
public func expectClose(_ observed: Double, _ expected: Double, tolerance: Double,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let difference = abs(observed - expected)
    if difference <= tolerance, observed.isFinite { return }
    let what = message()
    let detail = "expected \(expected) ± \(tolerance), got \(observed) (off by \(difference))"
    NotebookSession.failCheck(what.isEmpty ? detail : "\(what): \(detail)", file: "\(file)", line: Int(line))
}

/// `expectClose` for `Float`.
public func expectClose(_ observed: Float, _ expected: Float, tolerance: Float,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    expectClose(Double(observed), Double(expected), tolerance: Double(tolerance), message(), file: file, line: line)
}

/// Checks two tensors have the same shape and every value within `tolerance`.
public func expectClose(_ observed: Tensor, _ expected: Tensor, tolerance: Float,
                        _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    let what = message()
    let prefix = what.isEmpty ? "" : "\(what): "
    guard observed.shape == expected.shape else {
        NotebookSession.failCheck("\(prefix)shapes differ: \(observed.shape) vs expected \(expected.shape)", file: "\(file)", line: Int(line))
        return
    }
    for i in 0..<observed.count {
        let o = observed.scalars[i], e = expected.scalars[i]
        if !(abs(o - e) <= tolerance) {
            NotebookSession.failCheck("\(prefix)value \(i) is \(o), expected \(e) ± \(tolerance)", file: "\(file)", line: Int(line))
            return
        }
    }
}
