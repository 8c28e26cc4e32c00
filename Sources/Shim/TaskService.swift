import CShim
import OCI
import PetrelRuntime
import ShimProtocol
import SwiftProtobuf
import TTRPC
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

public let taskServiceName = "containerd.task.v2.Task"

/// Where the shim keeps things and whom it tells.
public struct ShimContext: Sendable {
    public var namespace: String
    /// containerd's ttrpc address (TTRPC_ADDRESS), where events go; "" sends none (tests).
    public var eventsAddress: String
    /// The runtime's state root for this namespace.
    public var stateRoot: String

    public init(namespace: String, eventsAddress: String, stateRoot: String) {
        self.namespace = namespace
        self.eventsAddress = eventsAddress
        self.stateRoot = stateRoot
    }

    /// PETREL_SHIM_ROOT (tests keep state out of /run) or /run/containerd/petrel, per namespace.
    public static func stateRoot(namespace: String) -> String {
        let base = getenv("PETREL_SHIM_ROOT").map { String(cString: $0) } ?? "/run/containerd/petrel"
        return base + "/" + (namespace.isEmpty ? "default" : namespace)
    }
}

/// containerd.task.v2.Task, with the runtime in-process. Everything runs on the shim's one
/// thread (the executor clones from it), so handlers never block for long, and a process
/// cannot be reaped between two steps of a handler: an exit always comes after the
/// TaskStart that precedes it.
public final class TaskService {
    public private(set) var shutdownRequested = false
    public let shimPID: UInt32
    let context: ShimContext
    let runtime: Runtime
    unowned let loop: EventLoop
    private weak var server: Server?
    let events: EventPublisher
    var containers: [String: ShimContainer] = [:]
    private var processByPID: [Int32: ShimProcess] = [:]
    private var reaperFD: Int32 = -1

    public init(loop: EventLoop, context: ShimContext, shimPID: UInt32 = UInt32(getpid())) {
        self.loop = loop
        self.context = context
        self.shimPID = shimPID
        runtime = Runtime(root: context.stateRoot)
        events = EventPublisher(loop: loop, address: context.eventsAddress, namespace: context.namespace)
    }

    /// Shutdown was asked, no container is left and containerd has every event (or has not
    /// taken them for 10 s after Shutdown: a shim must not outlive its containerd for ever).
    public var finished: Bool { shutdownRequested && containers.isEmpty && (events.isIdle || eventsAbandoned) }
    private var eventsAbandoned = false

    /// SIGCHLD through a signalfd: every child is reaped from the loop.
    public func startReaping() throws(SystemError) {
        let fd = cshim_sigchld_fd()
        guard fd >= 0 else { throw SystemError("signalfd", errno: -fd) }
        reaperFD = fd
        try loop.register(fd, .readable) { [unowned self] _ in
            cshim_drain_signalfd(fd)
            self.reapAll()
        }
    }

    public func register(on server: Server) {
        self.server = server
        // containerd 2.x speaks task API v3 (the same messages) to shims that announce it; the
        // names are served too, so that announcing v3 later is only a bootstrap change.
        for name in [taskServiceName, "containerd.task.v3.Task"] { register(on: server, as: name) }
    }

    private func register(on server: Server, as name: String) {
        server.register(service: name, methods: [
            "Create": handler(create),
            "Start": handler(start),
            "State": handler(state),
            "Wait": handler(wait),
            "Kill": handler(kill),
            "Delete": handler(delete),
            "Exec": handler(exec),
            "Pids": handler(pids),
            "Pause": handler(pause),
            "Resume": handler(resume),
            "ResizePty": handler(resizePty),
            "CloseIO": handler(closeIO),
            "Update": handler(update),
            "Stats": handler(stats),
            "Connect": handler(connect),
            "Shutdown": handler(shutdown),
            "Checkpoint": { _ in .error(TTRPCError(.unimplemented, "checkpoint is not supported by petrel")) },
        ])
    }

    /// A typed handler whose errors are ShimErrors; nil means "answered later".
    private func handler<Req: SwiftProtobuf.Message, Resp: SwiftProtobuf.Message>(
        _ body: @escaping (Req, Call) throws(ShimError) -> Resp?
    ) -> MethodHandler {
        unary { (request: Req, call: Call) -> Result<Resp, TTRPCError>? in
            do throws(ShimError) {
                guard let response = try body(request, call) else { return nil }
                return .success(response)
            } catch {
                return .failure(error.ttrpc)
            }
        }
    }

    private func complete<M: SwiftProtobuf.Message>(_ token: CallToken, _ message: M) {
        guard let bytes: [UInt8] = try? message.serializedBytes() else { return }
        server?.complete(token, .success(bytes))
    }

    // MARK: lookup

    func container(_ id: String) throws(ShimError) -> ShimContainer {
        guard let container = containers[id] else { throw ShimError(.notFound, "container \(id): not found") }
        return container
    }

    func process(_ id: String, _ execID: String) throws(ShimError) -> ShimProcess {
        let container = try container(id)
        if execID.isEmpty { return container.initProcess }
        guard let exec = container.execs[execID] else { throw ShimError(.notFound, "exec \(execID) of container \(id): not found") }
        return exec
    }

    // MARK: lifecycle

    private func create(_ req: Containerd_Task_V2_CreateTaskRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_CreateTaskResponse {
        guard containers[req.id] == nil else { throw ShimError(.alreadyExists, "container \(req.id): already exists") }
        if !req.checkpoint.isEmpty { throw ShimError(.unimplemented, "restore from a checkpoint is not supported by petrel") }
        guard access(req.bundle + "/config.json", F_OK) == 0 else {
            throw ShimError(.invalidArgument, "bundle \(req.bundle): config.json: no such file or directory")
        }
        let paths = ProcessIO.Paths(stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal)
        let initProcess = ShimProcess(containerID: req.id, execID: "", paths: paths)
        let container = ShimContainer(id: req.id, bundle: req.bundle, initProcess: initProcess)
        let rootfs = req.bundle + "/rootfs"
        if !req.rootfs.isEmpty {
            try RootfsMounts.mount(req.rootfs, at: rootfs)
            container.rootfsMounted = true
        }
        do throws(ShimError) {
            let io = try ProcessIO(loop: loop, paths: paths, containerID: req.id, namespace: context.namespace)
            initProcess.io = io
            do {
                try FileSystem.makeDirectories(context.stateRoot, mode: 0o711)
            } catch {
                throw ShimError.runtime(error)
            }
            var request = CreateRequest(id: req.id, bundle: req.bundle)
            request.stdio = io.childStdio
            request.consoleSocketFd = io.consoleSocket
            request.detached = true
            request.systemdFormSelectsDriver = true
            let record: ContainerRecord
            do {
                record = try runtime.create(request)
            } catch {
                throw ShimError.runtime(error)
            }
            initProcess.pid = record.pid
            container.record = record
            processByPID[record.pid] = initProcess
            containers[req.id] = container
            do throws(ShimError) {
                try io.processStarted()
            } catch {
                try? runtime.delete(req.id, force: true)
                throw error
            }
        } catch {
            initProcess.io?.closeAll()
            initProcess.io = nil
            if initProcess.pid > 0 { processByPID[initProcess.pid] = nil }
            containers[req.id] = nil
            if container.rootfsMounted { RootfsMounts.unmount(rootfs) }
            throw error
        }
        watchOOM(container)
        events.publish("/tasks/create", Containerd_Events_TaskCreate.with {
            $0.containerID = req.id
            $0.bundle = req.bundle
            $0.rootfs = req.rootfs
            $0.io = .with {
                $0.stdin = req.stdin
                $0.stdout = req.stdout
                $0.stderr = req.stderr
                $0.terminal = req.terminal
            }
            $0.checkpoint = req.checkpoint
            $0.pid = UInt32(initProcess.pid)
        })
        return .with { $0.pid = UInt32(initProcess.pid) }
    }

    private func start(_ req: Containerd_Task_V2_StartRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_StartResponse {
        let process = try process(req.id, req.execID)
        guard process.state == .created else {
            throw ShimError(.failedPrecondition, "\(describe(process)) cannot be started: it is \(process.state == .running ? "running" : "stopped")")
        }
        if process.isInit {
            do {
                try runtime.start(req.id)
            } catch {
                throw ShimError.runtime(error)
            }
            process.state = .running
            process.started = true
            events.publish("/tasks/start", Containerd_Events_TaskStart.with {
                $0.containerID = req.id
                $0.pid = UInt32(process.pid)
            })
        } else {
            try startExec(process)
            events.publish("/tasks/exec-started", Containerd_Events_TaskExecStarted.with {
                $0.containerID = req.id
                $0.execID = req.execID
                $0.pid = UInt32(process.pid)
            })
        }
        return .with { $0.pid = UInt32(process.pid) }
    }

    private func startExec(_ process: ShimProcess) throws(ShimError) {
        let container = try container(process.containerID)
        guard container.initProcess.state != .stopped else {
            throw ShimError(.failedPrecondition, "container \(container.id): cannot exec in a stopped container")
        }
        do throws(ShimError) {
            let io = try ProcessIO(loop: loop, paths: process.paths, containerID: container.id, namespace: context.namespace)
            process.io = io
            var request = ExecRequest(id: container.id)
            request.process = process.spec
            request.terminal = process.paths.terminal
            request.stdio = io.childStdio
            request.consoleSocketFd = io.consoleSocket
            request.detached = true
            request.reportsPid = true
            let pid: Int32
            do {
                pid = try runtime.exec(request)
            } catch {
                throw ShimError.runtime(error)
            }
            process.pid = pid
            processByPID[pid] = process
            process.state = .running
            process.started = true
            try io.processStarted()
        } catch {
            process.io?.closeAll()
            if process.pid > 0 {
                _ = Glibc.kill(process.pid, SIGKILL)
            } else {
                // Never ran: it counts as exited, so that Wait and Delete answer.
                process.state = .stopped
                process.exitStatus = 255
                process.exitedAt = Google_Protobuf_Timestamp.now()
                process.exitPublished = true
            }
            throw error
        }
    }

    private func exec(_ req: Containerd_Task_V2_ExecProcessRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let container = try container(req.id)
        guard container.execs[req.execID] == nil else {
            throw ShimError(.alreadyExists, "exec \(req.execID) of container \(req.id): already exists")
        }
        guard container.initProcess.state != .stopped else {
            throw ShimError(.failedPrecondition, "container \(req.id): cannot exec in a stopped container")
        }
        let spec: Process
        do {
            spec = try OCIJSON.decode(Process.self, from: [UInt8](req.spec.value))
        } catch {
            throw ShimError(.invalidArgument, "exec \(req.execID): spec (\(req.spec.typeURL)): \(error)")
        }
        let exec = ShimProcess(containerID: req.id, execID: req.execID,
                               paths: .init(stdin: req.stdin, stdout: req.stdout, stderr: req.stderr, terminal: req.terminal))
        exec.spec = spec
        container.execs[req.execID] = exec
        events.publish("/tasks/exec-added", Containerd_Events_TaskExecAdded.with {
            $0.containerID = req.id
            $0.execID = req.execID
        })
        return Google_Protobuf_Empty()
    }

    private func wait(_ req: Containerd_Task_V2_WaitRequest, call: Call) throws(ShimError) -> Containerd_Task_V2_WaitResponse? {
        let process = try process(req.id, req.execID)
        if process.hasExited { return process.waitResponse }
        process.waiters.append(call.token)
        return nil
    }

    private func kill(_ req: Containerd_Task_V2_KillRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let process = try process(req.id, req.execID)
        guard process.state != .stopped else { throw ShimError(.notFound, "\(describe(process)): process already finished") }
        let signal = Int32(clamping: req.signal)
        if process.isInit {
            do {
                try runtime.kill(req.id, signal: signal, all: req.all)
            } catch {
                throw ShimError.runtime(error, error.message == "container not running" ? .notFound : .unknown)
            }
        } else if Glibc.kill(process.pid, signal) != 0 {
            // Not reaped yet, so the pid is still this process's.
            throw errno == ESRCH ? ShimError(.notFound, "\(describe(process)): process already finished")
                                 : ShimError.sys("kill", String(process.pid))
        }
        return Google_Protobuf_Empty()
    }

    private func delete(_ req: Containerd_Task_V2_DeleteRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_DeleteResponse {
        let container = try container(req.id)
        let process = try process(req.id, req.execID)
        if process.isInit {
            if process.state == .running {
                throw ShimError(.failedPrecondition, "container \(req.id): cannot delete a running container")
            }
            if process.state == .stopped && !process.exitPublished {
                // Its execs are still dying: their exits no longer matter to anyone.
                for exec in container.runningExecs { _ = Glibc.kill(exec.pid, SIGKILL) }
                publishExit(process)
            }
            if process.state == .created {
                // Created, never started: delete kills it; its exit is the kill's.
                processByPID[process.pid] = nil
                process.state = .stopped
                process.exitStatus = 128 + UInt32(SIGKILL)
                process.exitedAt = Google_Protobuf_Timestamp.now()
                publishExit(process)
            }
            do {
                try runtime.delete(req.id, force: true)
            } catch {
                throw ShimError.runtime(error)
            }
            container.closeAll()
            if container.rootfsMounted { RootfsMounts.unmount(container.bundle + "/rootfs") }
            containers[req.id] = nil
            events.publish("/tasks/delete", Containerd_Events_TaskDelete.with {
                $0.containerID = req.id
                $0.pid = UInt32(process.pid)
                $0.exitStatus = process.exitStatus
                if let at = process.exitedAt { $0.exitedAt = at }
            })
        } else {
            guard process.state != .running else {
                throw ShimError(.failedPrecondition, "\(describe(process)): cannot delete a running process")
            }
            process.io?.closeAll()
            container.execs[req.execID] = nil
            // An exec deleted without ever running: its Waits get what there is to say.
            if !process.hasExited {
                process.state = .stopped
                process.exitedAt = process.exitedAt ?? Google_Protobuf_Timestamp.now()
                publishExit(process)
            }
        }
        return .with {
            $0.pid = UInt32(process.pid)
            $0.exitStatus = process.exitStatus
            if let at = process.exitedAt { $0.exitedAt = at }
        }
    }

    private func state(_ req: Containerd_Task_V2_StateRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_StateResponse {
        let container = try container(req.id)
        let process = try process(req.id, req.execID)
        return .with {
            $0.id = process.isInit ? req.id : req.execID
            $0.execID = req.execID
            $0.bundle = container.bundle
            $0.pid = UInt32(process.pid)
            switch process.state {
            case .created: $0.status = .created
            case .running: $0.status = process.isInit && container.paused ? .paused : .running
            case .stopped: $0.status = .stopped
            }
            $0.stdin = process.paths.stdin
            $0.stdout = process.paths.stdout
            $0.stderr = process.paths.stderr
            $0.terminal = process.paths.terminal
            $0.exitStatus = process.exitStatus
            if let at = process.exitedAt { $0.exitedAt = at }
        }
    }

    // MARK: exits

    private func reapAll() {
        while true {
            var status: Int32 = 0
            let pid = cshim_reap_one(&status)
            guard pid > 0 else { return }
            exited(pid: pid, status: status)
        }
    }

    private func exited(pid: Int32, status: Int32) {
        // Unknown pids are orphans the subreaper inherited, or a logger: reaped, nothing to say.
        guard let process = processByPID.removeValue(forKey: pid) else { return }
        process.state = .stopped
        process.exitStatus = UInt32(bitPattern: status)
        process.exitedAt = Google_Protobuf_Timestamp.now()
        // Everything it wrote is in the pipes now: copy it before the exit is announced.
        process.io?.drain()
        guard let container = containers[process.containerID] else { return }
        if process.isInit {
            ExitRecord.save(process, bundle: container.bundle)
            container.checkOOM()
            let running = container.runningExecs
            if !running.isEmpty {
                // The init's exit goes out last (containerd #10651): its execs die with it.
                for exec in running { _ = Glibc.kill(exec.pid, SIGKILL) }
                return
            }
            publishExit(process)
        } else {
            publishExit(process)
            let initProcess = container.initProcess
            if initProcess.state == .stopped && !initProcess.exitPublished && container.runningExecs.isEmpty {
                publishExit(initProcess)
            }
        }
    }

    /// TaskExit goes into the event queue before any Wait is answered.
    private func publishExit(_ process: ShimProcess) {
        guard !process.exitPublished else { return }
        process.exitPublished = true
        if process.started {
            events.publish("/tasks/exit", Containerd_Events_TaskExit.with {
                $0.containerID = process.containerID
                $0.id = process.isInit ? process.containerID : process.execID
                $0.pid = UInt32(process.pid)
                $0.exitStatus = process.exitStatus
                if let at = process.exitedAt { $0.exitedAt = at }
            })
        }
        let waiters = process.waiters
        process.waiters = []
        for token in waiters { complete(token, process.waitResponse) }
    }

    // MARK: the rest

    private func pids(_ req: Containerd_Task_V2_PidsRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_PidsResponse {
        let container = try container(req.id)
        let pids: [Int32]
        do {
            pids = try runtime.processes(req.id)
        } catch {
            throw ShimError.runtime(error)
        }
        var execOfPID: [Int32: String] = [:]
        for exec in container.execs.values where exec.state == .running { execOfPID[exec.pid] = exec.execID }
        return .with {
            $0.processes = pids.map { pid in
                Containerd_V1_Types_ProcessInfo.with {
                    $0.pid = UInt32(pid)
                    if let execID = execOfPID[pid],
                       let info = try? Google_Protobuf_Any(bare: Containerd_Runc_V1_ProcessDetails.with { $0.execID = execID }) {
                        $0.info = info
                    }
                }
            }
        }
    }

    private func pause(_ req: Containerd_Task_V2_PauseRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let container = try container(req.id)
        do {
            try runtime.pause(req.id)
        } catch {
            throw ShimError.runtime(error, .failedPrecondition)
        }
        container.paused = true
        events.publish("/tasks/paused", Containerd_Events_TaskPaused.with { $0.containerID = req.id })
        return Google_Protobuf_Empty()
    }

    private func resume(_ req: Containerd_Task_V2_ResumeRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let container = try container(req.id)
        do {
            try runtime.resume(req.id)
        } catch {
            throw ShimError.runtime(error, .failedPrecondition)
        }
        container.paused = false
        events.publish("/tasks/resumed", Containerd_Events_TaskResumed.with { $0.containerID = req.id })
        return Google_Protobuf_Empty()
    }

    private func resizePty(_ req: Containerd_Task_V2_ResizePtyRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let process = try process(req.id, req.execID)
        try process.io?.resize(width: req.width, height: req.height)
        return Google_Protobuf_Empty()
    }

    private func closeIO(_ req: Containerd_Task_V2_CloseIORequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        let process = try process(req.id, req.execID)
        if req.stdin { process.io?.closeStdin() }
        return Google_Protobuf_Empty()
    }

    private func update(_ req: Containerd_Task_V2_UpdateTaskRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        _ = try container(req.id)
        let resources: LinuxResources
        do {
            resources = try OCIJSON.decode(LinuxResources.self, from: [UInt8](req.resources.value))
        } catch {
            throw ShimError(.invalidArgument, "update \(req.id): resources (\(req.resources.typeURL)): \(error)")
        }
        do {
            try runtime.update(req.id, resources)
        } catch {
            throw ShimError.runtime(error)
        }
        return Google_Protobuf_Empty()
    }

    private func stats(_ req: Containerd_Task_V2_StatsRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_StatsResponse {
        let container = try container(req.id)
        guard let cgroup = container.record?.cgroup else {
            throw ShimError(.failedPrecondition, "container \(req.id) has no cgroup")
        }
        let metrics = try Self.metrics(cgroup)
        return .with { $0.stats = metrics }
    }

    private func connect(_ req: Containerd_Task_V2_ConnectRequest, _: Call) throws(ShimError) -> Containerd_Task_V2_ConnectResponse {
        .with {
            $0.shimPid = shimPID
            $0.taskPid = UInt32(containers[req.id]?.initProcess.pid ?? 0)
            $0.version = "2"
        }
    }

    private func shutdown(_: Containerd_Task_V2_ShutdownRequest, _: Call) throws(ShimError) -> Google_Protobuf_Empty {
        // A pod's shim outlives the Shutdown of each container until the last one is gone.
        // Containers containerd gave up on (it ran `delete`, which removed their runtime state)
        // must not keep the shim alive for ever.
        for (id, container) in containers where !FileSystem.exists(runtime.store.directory(id)) {
            container.closeAll()
            containers[id] = nil
        }
        if !shutdownRequested {
            try? loop.after(ms: 10_000) { [weak self] in self?.eventsAbandoned = true }
        }
        shutdownRequested = true
        return Google_Protobuf_Empty()
    }

    private func describe(_ process: ShimProcess) -> String {
        process.isInit ? "container \(process.containerID)" : "exec \(process.execID) of container \(process.containerID)"
    }
}
