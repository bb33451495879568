import Foundation

/// The connections `ConnectionGate` holds, each with what it is doing and until when it may:
/// a connection still sending its request's head, or being told it was refused, is closed when
/// its time is up (a client sending a byte now and then cannot keep it), and the oldest of them
/// when there are too many; connections passed to the server are counted against their own cap.
final class ConnectionTable: @unchecked Sendable {
    enum Phase {
        /// Sending its head.
        case waiting
        /// Refused: what it still sends is read and dropped, until its end or the deadline.
        case draining
        /// Passed to the server: a page being sent, or an open page's WebSocket.
        case forwarded
    }

    /// Why a connection's task was cancelled.
    enum Ending: Equatable {
        case timedOut
        /// Closed to make room for a newer connection.
        case evicted
        case stopped
    }

    private struct Entry {
        var phase: Phase
        var deadline: UInt64
        var task: Task<Void, Never>?
        var ending: Ending?
    }

    private let lock = NSLock()
    private var entries: [Int: Entry] = [:]
    private var nextID = 0
    private let maxWaiting: Int
    private let maxForwarded: Int

    init(maxWaiting: Int, maxForwarded: Int) {
        self.maxWaiting = maxWaiting
        self.maxForwarded = maxForwarded
    }

    /// A new connection, waiting for its head until `deadline` (nanoseconds of uptime). When
    /// more than `maxWaiting` connections wait, the oldest waiting one is ended.
    func add(deadline: UInt64) -> Int {
        lock.lock(); defer { lock.unlock() }
        nextID += 1
        entries[nextID] = Entry(phase: .waiting, deadline: deadline)
        let waiting = entries.filter { $0.value.phase != .forwarded && $0.value.ending == nil }
        if waiting.count > maxWaiting, let oldest = waiting.keys.min() {
            end(oldest, .evicted)
        }
        return nextID
    }

    /// The task serving connection `id`; cancelled at once if the connection was ended already.
    func attach(_ id: Int, _ task: Task<Void, Never>) {
        lock.lock(); defer { lock.unlock() }
        guard entries[id] != nil else { return }
        entries[id]!.task = task
        if entries[id]!.ending != nil { task.cancel() }
    }

    func setDraining(_ id: Int, deadline: UInt64) {
        lock.lock(); defer { lock.unlock() }
        entries[id]?.phase = .draining
        entries[id]?.deadline = deadline
    }

    /// Passes connection `id` to the server, unless `maxForwarded` are there already.
    func forward(_ id: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard entries.values.filter({ $0.phase == .forwarded }).count < maxForwarded else { return false }
        entries[id]?.phase = .forwarded
        return true
    }

    func remove(_ id: Int) {
        lock.lock(); defer { lock.unlock() }
        entries.removeValue(forKey: id)
    }

    /// Why connection `id` was ended, if it was.
    func ending(_ id: Int) -> Ending? {
        lock.lock(); defer { lock.unlock() }
        return entries[id]?.ending
    }

    /// Ends the connections whose deadline passed (those not forwarded).
    func endExpired(now: UInt64) {
        lock.lock(); defer { lock.unlock() }
        for (id, entry) in entries where entry.phase != .forwarded && entry.ending == nil && entry.deadline <= now {
            end(id, .timedOut)
        }
    }

    /// Ends the oldest connection not forwarded (to free a file descriptor).
    func endOldestWaiting() {
        lock.lock(); defer { lock.unlock() }
        if let oldest = entries.filter({ $0.value.phase != .forwarded && $0.value.ending == nil }).keys.min() {
            end(oldest, .evicted)
        }
    }

    /// Ends every connection; returns their tasks, to wait for.
    func endAll() -> [Task<Void, Never>] {
        lock.lock(); defer { lock.unlock() }
        for id in entries.keys where entries[id]!.ending == nil { end(id, .stopped) }
        return entries.values.compactMap(\.task)
    }

    private func end(_ id: Int, _ ending: Ending) {
        entries[id]?.ending = ending
        entries[id]?.task?.cancel()
    }
}
