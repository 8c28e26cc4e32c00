#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCI
import Testing

@Suite struct StateAndFeaturesTests {
    @Test func stateRoundTripsInGoFieldOrder() throws {
        let state = State(ociVersion: "1.2.0", id: "box", status: .running, pid: 4242, bundle: "/b", annotations: ["k": "v"])
        let text = String(decoding: try OCIJSON.encode(state, pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.2.0","id":"box","status":"running","pid":4242,"bundle":"/b","annotations":{"k":"v"}}"#)
        #expect(try OCIJSON.decode(State.self, from: Array(text.utf8)) == state)
    }

    @Test func stoppedStateHasNoPid() throws {
        let state = State(id: "box", status: .stopped, bundle: "/b")
        let text = String(decoding: try OCIJSON.encode(state, pretty: false), as: UTF8.self)
        #expect(text == #"{"ociVersion":"1.3.0","id":"box","status":"stopped","bundle":"/b"}"#)
    }

    @Test func statusValues() throws {
        #expect(ContainerStatus.allCases.map(\.rawValue) == ["creating", "created", "running", "stopped", "paused"])
        let json = #"{"ociVersion":"1.0.2","id":"x","status":"zombie","bundle":"/b"}"#
        #expect(throws: SpecLoadError(path: "status", message: #"unknown value "zombie" (known: creating, created, running, stopped, paused)"#)) {
            try OCIJSON.decode(State.self, from: Array(json.utf8))
        }
    }

    @Test func containerProcessStateForSeccompAgents() throws {
        let state = ContainerProcessState(
            fds: [ContainerProcessState.seccompFdName], pid: 7, metadata: "m",
            state: State(id: "box", status: .creating, pid: 7, bundle: "/b"))
        let data = try OCIJSON.encode(state, pretty: false)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix(#"{"ociVersion":"1.3.0","fds":["seccompFd"],"pid":7,"metadata":"m","state":{"#))
        #expect(try OCIJSON.decode(ContainerProcessState.self, from: data) == state)
    }

    @Test func decodesRuncFeatures() throws {
        let features = try OCIJSON.decode(Features.self, from: Array(RuncOutput.features.utf8))
        #expect(features.ociVersionMin == "1.0.0")
        #expect(features.ociVersionMax == "1.0.2-dev")
        #expect(features.hooks == ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])
        #expect(features.mountOptions?.contains("rbind") == true)
        let linux = try #require(features.linux)
        #expect(linux.namespaces == ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"])
        #expect(linux.capabilities?.first == "CAP_CHOWN")
        #expect(linux.cgroup == Features.Cgroup(v1: true, v2: true, systemd: true, systemdUser: true))
        #expect(linux.seccomp?.enabled == true)
        #expect(linux.seccomp?.operators?.count == 7)
        #expect(linux.apparmor == Features.Apparmor(enabled: true))
        #expect(linux.selinux == Features.Selinux(enabled: true))
        #expect(linux.intelRdt == nil)
        #expect(features.annotations?["org.opencontainers.runc.version"] == "1.1.5+ds1")
        #expect(try Fixtures.tree(try OCIJSON.encode(features, pretty: true)) == (try Fixtures.tree(RuncOutput.features)))
    }

    @Test func featuresOfThisSpecVersion() throws {
        let json = #"""
            {"ociVersionMin":"1.0.0","ociVersionMax":"1.2.0","potentiallyUnsafeConfigAnnotations":["com.example.","x"],
             "linux":{"intelRdt":{"enabled":false},"mountExtensions":{"idmap":{"enabled":true}},
                      "seccomp":{"knownFlags":["SECCOMP_FILTER_FLAG_LOG"],"supportedFlags":[]},"cgroup":{"rdma":true}}}
            """#
        let features = try OCIJSON.decode(Features.self, from: Array(json.utf8))
        #expect(features.potentiallyUnsafeConfigAnnotations == ["com.example.", "x"])
        #expect(features.linux?.intelRdt == Features.IntelRdt(enabled: false))
        #expect(features.linux?.mountExtensions == Features.MountExtensions(idmap: Features.IDMap(enabled: true)))
        #expect(features.linux?.seccomp == Features.Seccomp(knownFlags: ["SECCOMP_FILTER_FLAG_LOG"], supportedFlags: []))
        #expect(features.linux?.cgroup?.rdma == true)
    }
}
