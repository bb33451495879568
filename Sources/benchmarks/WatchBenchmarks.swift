import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `swift run -c release benchmarks watch`: `nbrun watch` attacked, then in a browser.
///
/// 1. Refusals and an ordinary request, over sockets: the time to a 403 for a foreign `Host`,
///    a 64 KB request line and a 100 KB header field (goal < 50 ms each), and for an ordinary
///    `GET /` with the cookie, alone and while 300 idle connections are open and two clients
///    send long requests without pause (goal < 100 ms); medians and worst of 20.
/// 2. In headless Chromium (Tests/Browser/watch_page.py, Selenium, which also checks the page):
///    on a 10-cell notebook whose training cell is cached, the time from saving an edit of its
///    last cell to the page showing the new output, median of 5 (goal <= 1.5 s). It needs the
///    test dependencies (`scripts/setup test-deps`).
///
/// Times `NBRUN_BINARY`, else `<repo>/.build/debug/nbrun` (what bin/nbrun builds).
func runWatchBenchmarks() throws {
    let root = FileManager.default.currentDirectoryPath
    let nbrun = ProcessInfo.processInfo.environment["NBRUN_BINARY"] ?? root + "/.build/debug/nbrun"
    guard FileManager.default.isExecutableFile(atPath: nbrun) else {
        throw RunnerBenchmarkError("no nbrun at \(nbrun): run `swift build --product nbrun` (or set NBRUN_BINARY)")
    }
    print(machineLine())
    try runWatchAttackBenchmarks(nbrun: nbrun)
    fflush(stdout)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", root + "/Tests/Browser/watch_page.py", nbrun, "--bench", "5"]
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
        throw RunnerBenchmarkError("watch_page.py exited with \(process.terminationStatus) (77: Chromium, chromedriver or Selenium missing)")
    }
}

private func runWatchAttackBenchmarks(nbrun: String) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nbrun-watch-bench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let marker = "watch-bench-output"
    try "```swift\nprint(\"\(marker)\")\n```\n".write(toFile: directory + "/attacked.md", atomically: true, encoding: .utf8)
    FileManager.default.createFile(atPath: directory + "/terminal.txt", contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: nbrun)
    process.arguments = ["watch", "attacked.md", "--port", "0", "-o", "out"]
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let output = Pipe()
    process.standardOutput = output
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/terminal.txt"))
    try process.run()
    defer {
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
    }
    var line = Data()
    while !line.contains(0x0A), let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line += byte }
    let text = String(decoding: line, as: UTF8.self)
    guard let start = text.range(of: "http://127.0.0.1:") else { throw RunnerBenchmarkError("nbrun watch printed no URL: \(text)") }
    let port = UInt16(text[start.upperBound...].prefix { $0.isNumber })!
    let token = text.range(of: "token=").map { String(text[$0.upperBound...].prefix { $0.isHexDigit }) } ?? ""
    let ordinary = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nCookie: nbrun-watch-\(port)=\(token)\r\n\r\n"
    // The first run (a compile) ends before anything is timed.
    let deadline = Date().addingTimeInterval(300)
    while !(try exchange(port: port, ordinary).contains(marker)) {
        guard Date() < deadline else { throw RunnerBenchmarkError("the page did not show the notebook's output within 300 s") }
        usleep(100_000)
    }

    let foreignHost = "GET / HTTP/1.1\r\nHost: evil.example:\(port)\r\nCookie: nbrun-watch-\(port)=\(token)\r\n\r\n"
    let longLine = "GET /?\(String(repeating: "a", count: 64 * 1024)) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
    let longHeader = "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Long: \(String(repeating: "b", count: 100 * 1024))\r\n\r\n"
    func measure(_ name: String, _ request: String, expecting status: String) throws {
        var times: [Double] = []
        for _ in 0..<20 {
            let started = DispatchTime.now().uptimeNanoseconds
            let answer = try exchange(port: port, request)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
            guard answer.hasPrefix("HTTP/1.1 \(status)") else { throw RunnerBenchmarkError("\(name): \(answer.prefix(120))") }
        }
        times.sort()
        print("watch: \(name): median \(String(format: "%.2f", times[10])) ms, worst \(String(format: "%.2f", times[19])) ms")
    }
    try measure("refusal of a foreign Host (goal < 50 ms)", foreignHost, expecting: "403")
    try measure("refusal of a 64 KB request line (goal < 50 ms)", longLine, expecting: "403")
    try measure("refusal of a 100 KB header field (goal < 50 ms)", longHeader, expecting: "403")
    try measure("ordinary GET / (goal < 100 ms)", ordinary, expecting: "200")

    // Under attack: 300 idle connections (half of them with part of a request line sent), and two
    // clients sending long requests without pause.
    var idle: [Int32] = []
    for index in 0..<300 {
        let descriptor = try connectToLoopback(port: port)
        if index % 2 == 0 { sendAll(descriptor, Array("GET / HTTP/1.1\r\n".utf8)) }
        idle.append(descriptor)
    }
    let attacking = AttackFlag()
    let attackers = [longLine, longHeader].map { request in
        Thread {
            while attacking.isOn { _ = try? exchange(port: port, request) }
        }
    }
    attackers.forEach { $0.start() }
    try measure("ordinary GET / with 300 idle connections and two long-request senders (goal < 100 ms)", ordinary, expecting: "200")
    try measure("refusal of a 64 KB request line, same attack (goal < 50 ms)", longLine, expecting: "403")
    attacking.stop()
    idle.forEach { close($0) }
    let terminal = (try? String(contentsOfFile: directory + "/terminal.txt", encoding: .utf8)) ?? ""
    let refusalLines = terminal.split(separator: "\n").filter { $0.contains(" refused ") }
    print("watch: terminal lines about refusals during the benchmark: \(refusalLines.count) (at most 5 every 10 s, and a count)")
}

/// Sends `request` on a new connection and returns what comes back until the server closes.
private func exchange(port: UInt16, _ request: String) throws -> String {
    let descriptor = try connectToLoopback(port: port)
    defer { close(descriptor) }
    sendAll(descriptor, Array(request.utf8))
    var received = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { break }
        received += buffer[0..<count]
    }
    return String(decoding: received, as: UTF8.self)
}

private func connectToLoopback(port: UInt16) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var limit = timeval(tv_sec: 30, tv_usec: 0)
    setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard result == 0 else {
        close(descriptor)
        throw RunnerBenchmarkError("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
    return descriptor
}

/// Sends what the server takes: after a refusal it may close before all is sent.
private func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) {
    var sent = 0
    while sent < bytes.count {
        let count = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) }
        guard count > 0 else { return }
        sent += count
    }
}

private final class AttackFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = true
    var isOn: Bool { lock.withLock { on } }
    func stop() { lock.withLock { on = false } }
}
