import OCI
import Testing

@Suite struct VersionTests {
    @Test func currentIsTheModelledSpec() {
        #expect(OCIVersion.current == "1.2.0")
        #expect(OCIVersion.isSupported(OCIVersion.current))
    }

    @Test(arguments: [
        "1.0.0", "1.0.1", "1.0.2", "1.0.2-dev", "1.0.0-rc5", "1.1.0", "1.1.0-rc.1", "1.1.0-rc.3", "1.1.12",
        "1.2.0", "1.2.0+dev", "1.2.1", "1.2.0-rc.1+build.5", "1.0.0-alpha-1",
    ])
    func supported(version: String) {
        #expect(OCIVersion.isSupported(version))
    }

    @Test(arguments: [
        "", "2.0.0", "0.5.0", "1.3.0", "1.10.0", "garbage", "1.0", "1", "1.0.0.0", "v1.0.0", " 1.0.0", "1.0.0 ",
        "01.0.0", "1.00.0", "1.0.01", "1.0.0-", "1.0.0+", "1.0.0-rc..1", "1.0.0-01", "1.0.0-rc_1", "1..0", "-1.0.0",
        "1.0.x",
    ])
    func unsupported(version: String) {
        #expect(!OCIVersion.isSupported(version))
    }
}
