import OCI
import Testing
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite struct UnknownFieldTests {
    func unknown(_ json: String) throws -> [String] {
        try Spec.decodeReportingUnknown(from: Array(json.utf8)).unknown
    }

    @Test func everyModelledFieldIsKnown() throws {
        #expect(try unknown(Fixtures.fullConfig).isEmpty)
    }

    @Test func unknownMembersAreReportedByPathOnce() throws {
        let json = #"""
            {"ociVersion":"1.4.0","newTop":{"deep":1},"process":{"cwd":"/","user":{"uid":0,"gid":0,"newUser":1},"newProc":true},
             "mounts":[{"destination":"/a"},{"destination":"/b","newMount":1}],
             "hooks":{"prestart":[{"path":"/x","newHook":1}],"newPhase":[]},
             "annotations":{"any.key":"v"},
             "linux":{"newLinux":1,"sysctl":{"net.x":"1"},"resources":{"newRes":{}},"weird key":2},
             "solaris":{"milestone":"x"},"windows":{}}
            """#
        #expect(try unknown(json) == [
            "newTop", "process.newProc", "process.user.newUser", "mounts[1].newMount", "hooks.newPhase",
            "hooks.prestart[0].newHook", "linux.newLinux", #"linux["weird key"]"#, "linux.resources.newRes",
        ])
    }

    @Test func theOneThreeFieldsAreModelled() throws {
        let json = #"""
            {"ociVersion":"1.3.0","linux":{"netDevices":{"eth0":{"name":"c0"}},
             "memoryPolicy":{"mode":"MPOL_BIND","nodes":"0-1","flags":["MPOL_F_STATIC_NODES"]},
             "intelRdt":{"closID":"c","schemata":["L3:0=ff","MB:0=50"],"enableMonitoring":true}}}
            """#
        let (spec, unknown) = try Spec.decodeReportingUnknown(from: Array(json.utf8))
        #expect(unknown.isEmpty)
        #expect(spec.linux?.netDevices == ["eth0": LinuxNetDevice(name: "c0")])
        #expect(spec.linux?.memoryPolicy == LinuxMemoryPolicy(mode: "MPOL_BIND", nodes: "0-1", flags: ["MPOL_F_STATIC_NODES"]))
        #expect(spec.linux?.intelRdt?.schemata == ["L3:0=ff", "MB:0=50"])
        #expect(spec.linux?.intelRdt?.enableMonitoring == true)
        let oneString = try Spec.decode(from: Array(#"{"ociVersion":"1.3.0","linux":{"intelRdt":{"schemata":"L3:0=ff\nMB:0=50"}}}"#.utf8))
        #expect(oneString.linux?.intelRdt?.schemata == ["L3:0=ff", "MB:0=50"])
    }
}
