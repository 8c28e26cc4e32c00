import OCI
import PetrelRuntime
import ShimProtocol
import SwiftProtobuf
import TTRPC

/// One process the shim is the parent of: a container's init or an exec.
final class ShimProcess {
    enum State { case created, running, stopped }

    let containerID: String
    /// "" for the init.
    let execID: String
    let paths: ProcessIO.Paths
    var pid: Int32 = 0
    var state = State.created
    /// Reached `running` (TaskStart/TaskExecStarted went out): its exit is published.
    var started = false
    var exitStatus: UInt32 = 0
    var exitedAt: Google_Protobuf_Timestamp?
    /// Its exit is known and, for the init, every exec's exit went out before it.
    var exitPublished = false
    var io: ProcessIO?
    /// Calls of Wait parked until the exit is published.
    var waiters: [CallToken] = []
    /// An exec's process, from containerd's spec (JSON of the OCI Process).
    var spec: Process?

    init(containerID: String, execID: String, paths: ProcessIO.Paths) {
        self.containerID = containerID
        self.execID = execID
        self.paths = paths
    }

    var isInit: Bool { execID.isEmpty }
    /// Exited and its exit answered (Wait, Delete may answer now).
    var hasExited: Bool { state == .stopped && exitPublished }

    var waitResponse: Containerd_Task_V2_WaitResponse {
        .with {
            $0.exitStatus = exitStatus
            if let exitedAt { $0.exitedAt = exitedAt }
        }
    }
}

/// A container in this shim (a pod's shim holds several).
final class ShimContainer {
    let id: String
    let bundle: String
    let initProcess: ShimProcess
    var execs: [String: ShimProcess] = [:]
    var record: ContainerRecord?
    var paused = false
    var rootfsMounted = false
    var closeOOMWatcher: () -> Void = {}
    /// Reads the OOM watcher now: a kill that caused the init's exit is reported before it.
    var checkOOM: () -> Void = {}

    init(id: String, bundle: String, initProcess: ShimProcess) {
        self.id = id
        self.bundle = bundle
        self.initProcess = initProcess
    }

    var runningExecs: [ShimProcess] { execs.values.filter { $0.state == .running } }

    /// The container leaves the shim: every process's stdio and the OOM watch are closed.
    func closeAll() {
        for exec in execs.values { exec.io?.closeAll() }
        initProcess.io?.closeAll()
        closeOOMWatcher()
    }
}
