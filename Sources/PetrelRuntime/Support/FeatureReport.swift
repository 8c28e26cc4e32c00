import OCI

/// `features`: what this build supports, read from the tables the runtime itself uses (the
/// namespace, capability, mount option, seccomp and hook tables), so it cannot drift from
/// what `create` accepts.
public enum FeatureReport {
    /// `checkpoint`: what Criu.availability() found (nil: not asked, reported as unknown), so
    /// the report stays a pure function for the tests.
    public static func current(version: String, checkpoint: Criu.Availability? = nil) -> Features {
        var linux = Features.Linux()
        linux.namespaces = LinuxNamespaceType.allCases.map(\.rawValue)
        linux.capabilities = Capabilities.names
        // cgroupfs drivers for v1 and v2; --systemd-cgroup is only a path emulation.
        linux.cgroup = Features.Cgroup(v1: true, v2: true, systemd: false, systemdUser: false, rdma: true)
        linux.seccomp = Features.Seccomp(
            enabled: true, actions: SeccompCompiler.supportedActions, operators: SeccompCompiler.supportedOperators,
            archs: SeccompCompiler.supportedArchitectures, knownFlags: SeccompCompiler.knownFlags,
            supportedFlags: SeccompCompiler.kernelFlags)
        linux.apparmor = Features.Apparmor(enabled: true)
        linux.selinux = Features.Selinux(enabled: true)
        linux.intelRdt = IntelRdt.features
        linux.mountExtensions = Features.MountExtensions(idmap: Features.IDMap(enabled: true))
        linux.memoryPolicy = Features.MemoryPolicy(modes: MemoryPolicy.modes.map(\.name), flags: MemoryPolicy.flags.map(\.name))
        linux.netDevices = Features.NetDevices(enabled: true)
        var annotations = [
            "io.github.seccomp.libseccomp.version": SeccompCompiler.libseccompVersion,
            "org.opencontainers.petrel.version": version,
        ]
        if let checkpoint {
            // runc says "org.opencontainers.runc.checkpoint.enabled": "true" whatever the host
            // has; ours is true only when CRIU is installed and `criu check` passes here.
            annotations["org.opencontainers.petrel.checkpoint.enabled"] = checkpoint.usable ? "true" : "false"
            annotations["org.opencontainers.petrel.criu.version"] = checkpoint.version?.text ?? "none"
            if let problem = checkpoint.problem { annotations["org.opencontainers.petrel.checkpoint.problem"] = problem }
        }
        return Features(
            ociVersionMin: "1.0.0", ociVersionMax: OCIVersion.current,
            hooks: HookRunner.phases.map(\.rawValue),
            mountOptions: MountOptions.knownOptionNames, linux: linux,
            annotations: annotations)
    }
}
