import Testing
@testable import PetrelRuntime

/// Capability names and the kernel's last capability come from libcap.
struct CapabilityNameTests {
    @Test("names as config.json writes them, in any case, with or without CAP_")
    func names() {
        #expect(Capabilities.number("CAP_CHOWN") == 0)
        #expect(Capabilities.number("CAP_KILL") == 5)
        #expect(Capabilities.number("cap_sys_admin") == 21)
        #expect(Capabilities.number("NET_RAW") == 13)
        #expect(Capabilities.number("CAP_CHECKPOINT_RESTORE") == 40)
    }

    @Test("numbers and unknown names are not capability names")
    func unknown() {
        for name in ["40", "CAP_40", "CAP_FOO", "", "CAP_"] {
            #expect(Capabilities.number(name) == nil, "\(name)")
        }
        #expect(throws: RuntimeError.self) {
            try Capabilities.mask(["CAP_KILL", "CAP_FOO"], field: "process.capabilities.bounding")
        }
        let mask = try? Capabilities.mask(["CAP_KILL", "CAP_FOO"], field: "process.capabilities.bounding", strict: false)
        #expect(mask == 1 << 5)
    }

    @Test("the kernel's last capability bounds the reported names")
    func lastCapability() {
        // Every kernel Petrel supports has at least CAP_AUDIT_READ (37).
        #expect(Capabilities.last >= 37)
        let names = Capabilities.names
        #expect(names.first == "CAP_CHOWN")
        #expect(names.count <= Int(Capabilities.last) + 1)
        #expect(names.allSatisfy { Capabilities.number($0) != nil })
    }
}
