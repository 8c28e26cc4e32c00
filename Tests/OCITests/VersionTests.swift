import OCI
import Testing

@Suite struct VersionTests {
    @Test func currentIsTheModelledSpec() {
        #expect(OCIVersion.current == "1.3.0")
        #expect(OCIVersion.isSupported(OCIVersion.current))
        #expect(!OCIVersion.isNewerThanModelled(OCIVersion.current))
    }

    /// runc and crun take any 1.x; a minor after the modelled one is flagged for warnings.
    @Test func laterMinorsAreSupportedAndFlagged() {
        for version in ["1.4.0", "1.10.0", "1.99.3-rc.1+x"] {
            #expect(OCIVersion.isSupported(version))
            #expect(OCIVersion.isNewerThanModelled(version))
        }
        for version in ["1.0.0", "1.2.1", "1.3.0", "1.3.7-dev"] {
            #expect(!OCIVersion.isNewerThanModelled(version))
        }
        #expect(!OCIVersion.isNewerThanModelled("2.0.0"))
    }

    @Test(arguments: [
        "1.0.0", "1.0.1", "1.0.2", "1.0.2-dev", "1.0.0-rc5", "1.1.0", "1.1.0-rc.1", "1.1.0-rc.3", "1.1.12",
        "1.2.0", "1.2.0+dev", "1.2.1", "1.2.0-rc.1+build.5", "1.0.0-alpha-1", "1.3.0", "1.3.1-dev", "1.10.0",
    ])
    func supported(version: String) {
        #expect(OCIVersion.isSupported(version))
    }

    @Test(arguments: [
        "", "2.0.0", "0.5.0", "garbage", "1.0", "1", "1.0.0.0", "v1.0.0", " 1.0.0", "1.0.0 ",
        "01.0.0", "1.00.0", "1.0.01", "1.0.0-", "1.0.0+", "1.0.0-rc..1", "1.0.0-01", "1.0.0-rc_1", "1..0", "-1.0.0",
        "1.0.x",
    ])
    func unsupported(version: String) {
        #expect(!OCIVersion.isSupported(version))
    }
}
