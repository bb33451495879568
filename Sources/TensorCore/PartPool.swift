import Dispatch
import Foundation
import Synchronization
internal import CBLASKernels

/// Threads that run the parts of a split product or loop beside the calling thread, and stay
/// awake a short while between jobs.
///
/// Why not `DispatchQueue.concurrentPerform`: its worker threads sleep between calls, and
/// waking one takes 20-40 µs on the virtual machines here (measured: a semaphore hand-off to a
/// waiting thread, 22-36 µs a round trip). A training step splits dozens of products and
/// convolutions of 0.1-1 ms each, so each paid a wake-up: the MLP's products reached 146
/// GFLOP/s split in two where OpenBLAS's own two threads, which spin between calls, reached 249.
/// These workers spin (with `pause`) for `spinSeconds` after each job before they sleep, so the
/// jobs of one training step follow each other without a wake-up, and an idle program sleeps.
///
/// Each worker has a mailbox: the caller writes a job into it (the body and which parts are the
/// worker's: every `threads`-th from its own number), then posts it by bumping a sequence number;
/// the worker answers with the same number when done. A worker reads its mailbox only after
/// seeing a new number, and the caller writes it only after the worker answered the last one,
/// so no job is ever read half-written. One caller at a time: a caller that finds the pool
/// taken (another thread, or a part that splits again) runs its parts itself, in order. Results
/// never depend on which thread ran a part (parts write disjoint data; sums over parts are
/// added in part order by their callers).
final class PartPool: @unchecked Sendable {
    /// The pool of the engine: one worker per core beyond the first.
    static let shared = PartPool(workers: Swift.max(0, Parallelism.onlineCores - 1))

    /// How long a worker spins waiting for its next job before it sleeps.
    static let spinSeconds = 200e-6

    private let workers: [Worker]
    /// Taken by the caller that owns the pool for one job.
    private let owned = Atomic<Bool>(false)

    init(workers count: Int) {
        workers = (0..<count).map { Worker(number: $0 + 1) }
    }

    /// Runs `body(0..<parts)` on this thread and the workers, returning when every part ran.
    /// Runs them here, in order, when the pool has no worker or is in use.
    func run(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 0 { return }
        guard parts > 1, !workers.isEmpty,
              owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for part in 0..<parts { body(part) }
            return
        }
        let threads = Swift.min(parts, workers.count + 1)
        withoutActuallyEscaping(body) { escaping in
            for worker in workers.prefix(threads - 1) { worker.post(escaping, parts: parts, threads: threads) }
            var part = 0
            while part < parts { escaping(part); part += threads }
            for worker in workers.prefix(threads - 1) { worker.waitUntilDone() }
        }
        owned.store(false, ordering: .releasing)
    }

    /// One worker thread and its mailbox.
    private final class Worker: @unchecked Sendable {
        /// Its parts are `number`, `number + threads`, ... of the job's `parts`.
        let number: Int
        /// The sequence number of the last job posted, and of the last one done.
        let posted = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        /// Set while the worker sleeps on `wake` (or is about to).
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        /// The job: written by the caller before it posts, read by the worker after it sees it.
        nonisolated(unsafe) var body: ((Int) -> Void)?
        nonisolated(unsafe) var parts = 0
        nonisolated(unsafe) var threads = 1
        /// The caller's side: the last sequence number it posted.
        nonisolated(unsafe) var sequence = 0

        init(number: Int) {
            self.number = number
            let thread = Thread { [unowned self] in self.loop() }
            thread.name = "nbrun engine worker \(number)"
            thread.stackSize = 8 << 20
            thread.start()
        }

        /// The caller hands it a job (its last one is done: `waitUntilDone` returned).
        func post(_ body: @escaping (Int) -> Void, parts: Int, threads: Int) {
            self.body = body
            self.parts = parts
            self.threads = threads
            sequence += 1
            posted.store(sequence, ordering: .sequentiallyConsistent)
            if asleep.exchange(false, ordering: .sequentiallyConsistent) { wake.signal() }
        }

        /// Spins until the worker answered the last job posted.
        func waitUntilDone() {
            while done.load(ordering: .acquiring) != sequence { spinPause() }
            body = nil
        }

        private func loop() {
            var last = 0
            while true {
                last = nextJob(after: last)
                runParts()
                done.store(last, ordering: .releasing)
            }
        }

        /// Its parts of the posted job. A function of its own so that its reference to the
        /// job's body is gone when it returns, before the worker says it is done: the caller's
        /// body must not outlive its call (`withoutActuallyEscaping` checks).
        @inline(never)
        private func runParts() {
            guard let body else { return }
            var part = number
            while part < parts { body(part); part += threads }
        }

        /// Waits for a job after `last`: spinning for `spinSeconds`, then asleep.
        private func nextJob(after last: Int) -> Int {
            let start = DispatchTime.now().uptimeNanoseconds
            var spins = 0
            while true {
                let current = posted.load(ordering: .acquiring)
                if current != last { return current }
                spinPause()
                spins += 1
                guard spins & 255 == 0, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > PartPool.spinSeconds else { continue }
                asleep.store(true, ordering: .sequentiallyConsistent)
                let now = posted.load(ordering: .sequentiallyConsistent)
                if now != last {
                    // A job came as it went to sleep: unless the caller already took the flag
                    // (and signals, which must be consumed), it runs the job at once.
                    if !asleep.exchange(false, ordering: .sequentiallyConsistent) { wake.wait() }
                    return now
                }
                wake.wait()
                spins = 0
            }
        }
    }
}

@inline(__always)
private func spinPause() { nbrun_spin_pause() }
