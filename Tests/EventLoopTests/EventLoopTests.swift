import Glibc
import XCTest
@testable import EventLoop

final class EventLoopTests: XCTestCase {
    func testTimersRunInDeadlineOrder() throws {
        let loop = try EventLoop()
        var order: [Int] = []
        loop.schedule(after: 0.03) { order.append(3) }
        loop.schedule(after: 0.01) { order.append(1) }
        loop.schedule(after: 0.02) { order.append(2) }
        loop.schedule(after: 0.04) { loop.stop() }
        try loop.run()
        XCTAssertEqual(order, [1, 2, 3])
    }

    func testCancelledTimerDoesNotRun() throws {
        let loop = try EventLoop()
        var ran = false
        let timer = loop.schedule(after: 0.01) { ran = true }
        loop.cancel(timer)
        loop.schedule(after: 0.03) { loop.stop() }
        try loop.run()
        XCTAssertFalse(ran)
    }

    func testReadableDescriptorCallsHandler() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var received: [UInt8] = []
        try loop.register(fds[0], for: .readable) { _ in
            var byte: UInt8 = 0
            if read(fds[0], &byte, 1) == 1 { received.append(byte) }
            loop.stop()
        }
        var byte: UInt8 = 42
        XCTAssertEqual(write(fds[1], &byte, 1), 1)
        try loop.run()
        XCTAssertEqual(received, [42])
    }

    func testUnregisteredDescriptorIsIgnored() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var calls = 0
        try loop.register(fds[0], for: .readable) { _ in calls += 1 }
        loop.unregister(fds[0])
        var byte: UInt8 = 1
        _ = write(fds[1], &byte, 1)
        try loop.runOnce(maxWait: 0.02)
        XCTAssertEqual(calls, 0)
    }

    func testSignalIsDeliveredThroughLoop() throws {
        let loop = try EventLoop()
        var got = false
        try loop.onSignal(SIGUSR2) {
            got = true
            loop.stop()
        }
        // Sent to this thread only: other test threads do not block SIGUSR2, and a process-wide
        // signal could reach one of them and end the test process.
        loop.schedule(after: 0.01) { pthread_kill(pthread_self(), SIGUSR2) }
        loop.schedule(after: 2) { loop.stop() }
        try loop.run()
        XCTAssertTrue(got)
    }

    func testWakeUpFromAnotherThreadReturns() throws {
        let loop = try EventLoop()
        // wakeUp() is the one method that may be called from another thread.
        nonisolated(unsafe) let shared = loop
        let thread = Thread { shared.wakeUp() }
        thread.start()
        let start = monotonicNow()
        try loop.runOnce(maxWait: 5)
        XCTAssertLessThan(monotonicNow() - start, 5)
    }
}
