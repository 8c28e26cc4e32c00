import OCI
import Testing
@testable import PetrelRuntime

/// A failure reported by the init names the config field it is about.
struct InitFailureFieldTests {
    @Test("the step and path the child reports lead back to the JSON path")
    func fields() {
        var spec = Spec(ociVersion: "1.2.0")
        spec.mounts = [Mount(destination: "/proc", type: "proc", source: "proc"),
                       Mount(destination: "/data/", type: "bind", source: "/srv")]
        var linux = Linux()
        linux.namespaces = [LinuxNamespace(type: .pid), LinuxNamespace(type: .network, path: "/proc/1/ns/net")]
        linux.devices = [LinuxDevice(path: "/dev/fuse", type: "c", major: 10, minor: 229)]
        spec.linux = linux
        #expect(InitProcess.field(step: "namespaces", path: "/proc/1/ns/net", in: spec) == "linux.namespaces[1].path")
        #expect(InitProcess.field(step: "mount", path: "/data", in: spec) == "mounts[1]")
        #expect(InitProcess.field(step: "device", path: "/dev/fuse", in: spec) == "linux.devices[0]")
        #expect(InitProcess.field(step: "cwd", path: "/x", in: spec) == "process.cwd")
        #expect(InitProcess.field(step: "mount", path: "/elsewhere", in: spec) == nil)
        #expect(InitProcess.field(step: "init", path: "", in: spec) == nil)
    }
}
