import ShimProtocol
import SwiftProtobuf
import TTRPC
#if canImport(Glibc)
import Glibc
#endif

/// Task events to containerd (`containerd.services.events.ttrpc.v1.Events/Forward` on
/// TTRPC_ADDRESS), one at a time and in order: a single FIFO queue, so TaskStart precedes the
/// TaskExit of the same process and TaskExit precedes TaskDelete. An event stays queued until
/// containerd took it, across reconnects (containerd restarting); the Go shim drops events after
/// a few tries (containerd #6771).
public final class EventPublisher {
    static let service = "containerd.services.events.ttrpc.v1.Events"

    private unowned let loop: EventLoop
    private let address: String
    private let namespace: String
    private var queue: [(topic: String, event: Google_Protobuf_Any, time: Google_Protobuf_Timestamp)] = []
    private var client: Client?
    private var sending = false
    private var retryScheduled = false
    private var failures = 0

    public init(loop: EventLoop, address: String, namespace: String) {
        self.loop = loop
        self.address = address.hasPrefix("unix://") ? String(address.dropFirst("unix://".count)) : address
        self.namespace = namespace
    }

    /// Nothing is waiting to be delivered.
    public var isIdle: Bool { queue.isEmpty }

    public func publish<M: SwiftProtobuf.Message>(_ topic: String, _ event: M) {
        guard !address.isEmpty, let any = try? Google_Protobuf_Any(bare: event) else { return }
        queue.append((topic, any, .now()))
        sendNext()
    }

    private func sendNext() {
        guard !sending, !retryScheduled, let next = queue.first else { return }
        if client == nil || client?.isClosed == true {
            client = try? Client(path: address, loop: loop)
        }
        guard let client else { return retryLater() }
        let request = Containerd_Services_Events_Ttrpc_V1_ForwardRequest.with {
            $0.envelope = .with {
                $0.timestamp = next.time
                $0.namespace = namespace
                $0.topic = next.topic
                $0.event = next.event
            }
        }
        guard let payload: [UInt8] = try? request.serializedBytes() else {
            queue.removeFirst()
            return sendNext()
        }
        sending = true
        client.call(service: Self.service, method: "Forward", payload: payload) { [weak self] result in
            guard let self else { return }
            self.sending = false
            switch result {
            case .success:
                self.failures = 0
                self.queue.removeFirst()
                self.sendNext()
            case .failure(let error) where error.code == .unavailable:
                self.client?.close()
                self.client = nil
                self.retryLater()
            case .failure:
                // containerd refused this one (it is malformed for it): retrying cannot help.
                self.queue.removeFirst()
                self.sendNext()
            }
        }
    }

    /// containerd is away (restarting): try again, backing off up to a second.
    private func retryLater() {
        guard !retryScheduled else { return }
        retryScheduled = true
        failures += 1
        let delay = min(1000, 10 << min(failures, 7))
        do {
            try loop.after(ms: delay) { [weak self] in
                guard let self else { return }
                self.retryScheduled = false
                self.sendNext()
            }
        } catch {
            retryScheduled = false
        }
    }
}

extension Google_Protobuf_Timestamp {
    /// The wall clock now, to the nanosecond (containerd's exited_at and event timestamps).
    static func now() -> Google_Protobuf_Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return .with {
            $0.seconds = Int64(ts.tv_sec)
            $0.nanos = Int32(ts.tv_nsec)
        }
    }
}
