#!/usr/bin/env python3
"""The CRI checks: one pod through containerd's CRI plugin, as the kubelet drives it.

Called by conformance/cri/run (which starts containerd and imports the images); prints
TAP lines and exits 1 if any check failed. One process for all checks: Python and gRPC
start once (seconds under emulation in the v2 guest).
"""

import argparse
import json
import os
import sys
import time

import client

n = 0
failed = 0


def ok(name):
    global n
    n += 1
    print("ok %d - %s" % (n, name), flush=True)


def notok(name, *details):
    global n, failed
    n += 1
    failed += 1
    print("not ok %d - %s" % (n, name), flush=True)
    for d in details:
        for line in str(d).splitlines()[-6:]:
            print("#   " + line, flush=True)


def check(name, cond, *details):
    if cond:
        ok(name)
    else:
        notok(name, *details)
    return cond


def diag(text):
    print("# " + text, flush=True)


class Stop(Exception):
    """A step the following ones depend on failed."""


def proc_status(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def proc_read(pid, name):
    try:
        with open("/proc/%d/%s" % (pid, name), "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def proc_link(pid, name):
    try:
        return os.readlink("/proc/%d/%s" % (pid, name))
    except OSError:
        return ""


def pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def related_processes(tmp, exe):
    """Processes running EXE that belong to this test's containerd (tmp in their command
    line, environment or cwd): a shim of another containerd on the machine is not ours."""
    found = []
    for pid in pids():
        if pid == os.getpid():
            continue
        if exe and proc_link(pid, "exe") != exe:
            continue
        if tmp in proc_read(pid, "cmdline") or tmp in proc_read(pid, "environ") or proc_link(pid, "cwd").startswith(tmp):
            found.append(pid)
    return found


def mounts_under(path):
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def files_under(path):
    """Everything but empty directories under path (an empty state root is no leftover)."""
    out = []
    for parent, dirs, files in os.walk(path):
        out.extend(os.path.join(parent, f) for f in files)
    return out


def cgroup_dirs(parent):
    """The pod cgroup_parent's directory in every hierarchy (v2: one; v1: one per controller)."""
    rel = parent.strip("/")
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return [os.path.join("/sys/fs/cgroup", rel)]
    out = []
    for h in sorted(os.listdir("/sys/fs/cgroup")):
        d = os.path.join("/sys/fs/cgroup", h)
        if os.path.isdir(d) and not os.path.islink(d):
            out.append(os.path.join(d, rel))
    return out


def memory_limit_file(parent, cid):
    rel = os.path.join(parent.strip("/"), cid)
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        return os.path.join("/sys/fs/cgroup", rel, "memory.max")
    return os.path.join("/sys/fs/cgroup/memory", rel, "memory.limit_in_bytes")


def wait_for(fn, timeout):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--socket", required=True)
    p.add_argument("--gen", required=True)
    p.add_argument("--tmp", required=True, help="the test's temp dir (every path it owns is under it)")
    p.add_argument("--state", required=True, help="containerd's state dir")
    p.add_argument("--handler", required=True)
    p.add_argument("--runtime-type", required=True)
    p.add_argument("--cgroup-parent", required=True)
    p.add_argument("--image", required=True, help="the app image (busybox)")
    p.add_argument("--log-dir", required=True)
    p.add_argument("--no-leftovers", action="append", default=[],
                   help="a directory that must hold no files afterwards (shim sockets, runtime state)")
    p.add_argument("--restart", help="a script that restarts containerd (stop by pid, start, socket up)")
    p.add_argument("--dump", help="copy the sandbox's and the app's bundle files (config.json) here")
    p.add_argument("--timeout", type=float, default=120, help="per CRI call, seconds")
    a = p.parse_args()

    started = time.monotonic()
    cri = client.connect(a.socket, a.gen, a.timeout)
    pb = cri.pb
    grpc = cri.grpc
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")

    def call(name, method, **fields):
        try:
            return cri.call(method, **fields)
        except grpc.RpcError as e:
            notok(name, "%s: %s: %s" % (method, e.code().name, e.details()))
            raise Stop()

    def try_call(method, **fields):
        try:
            return cri.call(method, **fields), None
        except grpc.RpcError as e:
            return None, "%s: %s: %s" % (method, e.code().name, e.details())

    version = call("Version", "Version", version="v1")
    diag("CRI: %s %s, API %s; handler %s (%s); cgroup %s" % (
        version.runtime_name, version.runtime_version, version.runtime_api_version,
        a.handler, a.runtime_type, "v2" if v2 else "v1"))

    # What the kubelet sends for a hostNetwork pod: the node's network, a pid namespace per container.
    NAMESPACES = {"network": "NODE", "pid": "CONTAINER", "ipc": "POD"}
    # The kubelet's defaults for every unprivileged container (pkg/securitycontext/util.go);
    # containerd masks nothing unless asked.
    PATHS = {"masked_paths": ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                              "/sys/firmware", "/sys/devices/virtual/powercap"],
             "readonly_paths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]}
    metadata = {"name": "petrel-cri", "uid": "petrel-cri-uid-%d" % os.getpid(), "namespace": "default"}
    pod_config = {
        "metadata": metadata,
        "log_directory": a.log_dir,
        "labels": {"app": "petrel-cri"},
        "annotations": {"petrel.test/annotation": "kept"},
        "linux": {
            "cgroup_parent": a.cgroup_parent,
            # Host network (no CNI); pid per container as the kubelet asks; no hostname.
            "security_context": {"namespace_options": NAMESPACES},
        },
    }
    sandbox = None
    containers = []
    shim_pid = None
    shim_exe = ""
    shim_socket = None
    try:
        # --- the image (ImageService) ----------------------------------------------
        r, err = try_call("ImageStatus", image={"image": a.image})
        check("ImageStatus: the imported image is known to CRI", r is not None and r.HasField("image")
              and a.image in r.image.repo_tags, err or str(r))

        # --- the pod ---------------------------------------------------------------
        r = call("RunPodSandbox (host network, cgroup_parent, runtime_handler %s)" % a.handler,
                 "RunPodSandbox", config=pod_config, runtime_handler=a.handler)
        sandbox = r.pod_sandbox_id
        ok("RunPodSandbox (host network, cgroup_parent, runtime_handler %s)" % a.handler)
        st = call("PodSandboxStatus", "PodSandboxStatus", pod_sandbox_id=sandbox, verbose=True)
        info = json.loads(st.info.get("info", "{}"))
        check("PodSandboxStatus: READY, handler %s, annotations kept" % a.handler,
              st.status.state == pb.SANDBOX_READY and st.status.runtime_handler == a.handler
              and st.status.annotations.get("petrel.test/annotation") == "kept",
              "state %s handler %r annotations %s" % (pb.PodSandboxState.Name(st.status.state),
                                                      st.status.runtime_handler, dict(st.status.annotations)))
        pause_pid = int(info.get("pid", 0))
        check("sandbox runs with runtime type %s" % a.runtime_type, info.get("runtimeType") == a.runtime_type,
              "runtimeType %r" % info.get("runtimeType"))
        diag("sandbox %s pause pid %d; runtimeOptions %s" % (sandbox[:12], pause_pid, json.dumps(info.get("runtimeOptions"))))

        # --- the app container -----------------------------------------------------
        app_config = {
            "metadata": {"name": "app"},
            "image": {"image": a.image},
            "command": ["sh", "-c", "echo app-started; echo app-stderr >&2; trap 'echo app-term; exit 0' TERM; sleep 3600 & wait $!"],
            "envs": [{"key": "PETREL_CRI", "value": "yes"}],
            "log_path": "app.log",
            "labels": {"container": "app"},
            # seccomp RuntimeDefault (containerd's default profile), as a restricted pod asks.
            "linux": {"resources": {"memory_limit_in_bytes": 128 << 20},
                      "security_context": {"namespace_options": NAMESPACES, "no_new_privs": True, **PATHS,
                                           "seccomp": {"profile_type": "RuntimeDefault"},
                                           "seccomp_profile_path": "runtime/default"}},
        }
        r = call("CreateContainer (app)", "CreateContainer", pod_sandbox_id=sandbox, config=app_config, sandbox_config=pod_config)
        app = r.container_id
        containers.append(app)
        ok("CreateContainer (app)")
        call("StartContainer (app)", "StartContainer", container_id=app)
        ok("StartContainer (app)")
        st = call("ContainerStatus (app)", "ContainerStatus", container_id=app, verbose=True)
        info = json.loads(st.info.get("info", "{}"))
        app_pid = int(info.get("pid", 0))
        check("ContainerStatus (app): RUNNING, started_at set, pid %d" % app_pid,
              st.status.state == pb.CONTAINER_RUNNING and st.status.started_at > 0 and app_pid > 0,
              "state %s started_at %d" % (pb.ContainerState.Name(st.status.state), st.status.started_at))
        log = os.path.join(a.log_dir, "app.log")
        text = wait_for(lambda: open(log).read() if os.path.exists(log) and "app-stderr" in open(log).read() else "", 10)
        check("the app's stdout and stderr reach the CRI log (%s)" % "app.log",
              " stdout F app-started" in text and " stderr F app-stderr" in text, text or "(no log)")

        if a.dump:
            # What the shim is given: the bundles' config.json (annotations, namespaces, cgroupsPath).
            import shutil
            os.makedirs(a.dump, exist_ok=True)
            for name, cid in (("sandbox", sandbox), ("app", app)):
                b = os.path.join(a.state, "io.containerd.runtime.v2.task", "k8s.io", cid)
                with open(os.path.join(a.dump, "%s-files" % name), "w") as out:
                    out.write("\n".join(sorted(os.listdir(b))) + "\n")
                for f in os.listdir(b):
                    if f.endswith(".json") or f in ("address", "options.json"):
                        shutil.copy(os.path.join(b, f), os.path.join(a.dump, "%s-%s" % (name, f)))

        # --- one shim for the pod ----
        def address(cid):
            try:
                with open(os.path.join(a.state, "io.containerd.runtime.v2.task", "k8s.io", cid, "address")) as f:
                    return f.read().strip()
            except OSError as e:
                return "(%s)" % e.strerror
        addr, app_addr = address(sandbox), address(app)
        diag("shim address %s" % addr)
        if addr.startswith("unix://"):
            shim_socket = addr[len("unix://"):]
        check("both bundles hold the pod shim's address file (containerd reconnects from it after a restart)",
              addr.startswith("unix://") and app_addr == addr, "sandbox: %s" % addr, "app: %s" % app_addr)
        pause_parent = int(proc_status(pause_pid, "PPid") or 0) if pause_pid else 0
        app_parent = int(proc_status(app_pid, "PPid") or 0) if app_pid else 0
        shim_pid = pause_parent
        shim_exe = proc_link(shim_pid, "exe") if shim_pid else ""
        shims = related_processes(a.tmp, shim_exe) if shim_exe else []
        diag("shim pid %d exe %s comm %s" % (shim_pid, shim_exe, proc_read(shim_pid, "comm").strip()))
        check("one shim process for the pod (pause and app have the same parent, the only one running it)",
              pause_parent > 1 and pause_parent == app_parent and shims == [shim_pid],
              "pause's parent %d, app's parent %d, processes of %s: %s" % (pause_parent, app_parent, shim_exe, shims))

        # --- exec ------------------------------------------------------------------
        r, err = try_call("ExecSync", container_id=app, cmd=["sh", "-c", "echo out-$PETREL_CRI; echo err >&2; exit 7"], timeout=60)
        check("ExecSync: exit code 7, stdout and stderr apart",
              r is not None and r.exit_code == 7 and r.stdout == b"out-yes\n" and r.stderr == b"err\n",
              err or "exit %d stdout %r stderr %r" % (r.exit_code, r.stdout, r.stderr))
        # Inside the app's pid namespace, pid 1 is the app; with a cgroup namespace (v2) both read 0::/.
        r, err = try_call("ExecSync", container_id=app, cmd=["sh", "-c", "cat /proc/1/cgroup; echo --; cat /proc/self/cgroup"], timeout=60)
        parts = r.stdout.decode().split("--\n") if r else []
        check("ExecSync: the exec joins the app's cgroup",
              r is not None and r.exit_code == 0 and len(parts) == 2 and parts[0] == parts[1] and parts[0],
              err or "\n".join(l for l in r.stdout.decode().split("\n") if "systemd" in l or "--" in l or "pids" in l or "freezer" in l))

        r, err = try_call("ExecSync", container_id=app, cmd=["grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"], timeout=60)
        check("ExecSync: the exec runs under the RuntimeDefault seccomp filter and no_new_privs",
              r is not None and r.exit_code == 0 and b"Seccomp:\t2" in r.stdout and b"NoNewPrivs:\t1" in r.stdout,
              err or r.stdout.decode())

        r, err = try_call("ExecSync", container_id=app, timeout=60, cmd=[
            "sh", "-c", "head -c1 /proc/kcore | wc -c; grep -c ' /proc/sys ro,' /proc/self/mountinfo"])
        check("ExecSync: /proc/kcore masked, /proc/sys read-only (the kubelet's masked and read-only paths)",
              r is not None and r.exit_code == 0 and r.stdout.split() == [b"0", b"1"],
              err or "exit %d stdout %r stderr %r" % (r.exit_code, r.stdout, r.stderr))

        # A probe that times out: containerd kills the exec (the shim's Kill of an exec id) and
        # waits for its exit and its stdio before answering.
        r, err = try_call("ExecSync", container_id=app, cmd=["sleep", "31"], timeout=1)
        r2, err2 = try_call("ExecSync", container_id=app, cmd=["sh", "-c", "ps -o args | grep -c '^sleep 31' || true"], timeout=60)
        check("ExecSync over its timeout: an error, the exec killed",
              r is None and "timeout" in (err or "") and r2 is not None and r2.stdout == b"0\n",
              "first: %s" % (err or "no error, exit %d" % r.exit_code), "then: %s" % (err2 or r2.stdout))

        # --- stats -----------------------------------------------------------------
        r, err = try_call("ContainerStats", container_id=app)
        s = r.stats if r else None
        check("ContainerStats (app): cpu and memory present",
              s is not None and s.cpu.timestamp > 0 and s.cpu.HasField("usage_core_nano_seconds")
              and s.memory.timestamp > 0 and s.memory.HasField("working_set_bytes") and s.memory.working_set_bytes.value > 0,
              err or str(s))
        r, err = try_call("ListPodSandboxStats", filter={"id": sandbox})
        s = r.stats[0] if r and len(r.stats) == 1 else None
        c = [c for c in s.linux.containers if c.attributes.id == app] if s else []
        check("ListPodSandboxStats: the pod's cpu and memory, and the app's",
              s is not None and s.attributes.id == sandbox and s.linux.cpu.HasField("usage_core_nano_seconds")
              and s.linux.memory.HasField("working_set_bytes") and len(c) == 1
              and c[0].cpu.HasField("usage_core_nano_seconds") and c[0].memory.HasField("working_set_bytes"),
              err or str(r))

        # --- update ----------------------------------------------------------------
        r, err = try_call("UpdateContainerResources", container_id=app, linux={"memory_limit_in_bytes": 96 << 20})
        limit_file = memory_limit_file(a.cgroup_parent, app)
        try:
            limit = open(limit_file).read().strip()
        except OSError as e:
            limit = str(e)
        check("UpdateContainerResources: memory limit 96 MiB in the app's cgroup", err is None and limit == str(96 << 20),
              err or "%s: %s" % (limit_file, limit))

        # --- containerd restarts: the shim outlives it; containerd reconnects from the
        # bundle's address file, and the events that follow must reach the new containerd.
        if a.restart:
            import subprocess
            rc = subprocess.run([a.restart]).returncode
            st = None
            if rc == 0:
                cri.close()
                cri = client.connect(a.socket, a.gen, a.timeout)
                # The CRI plugin answers "not initialized yet" until it has recovered its state.
                st = wait_for(lambda: try_call("ContainerStatus", container_id=app)[0], 60)
                err = None if st else try_call("ContainerStatus", container_id=app)[1]
            r, err2 = try_call("ExecSync", container_id=app, cmd=["echo", "after-restart"], timeout=60)
            check("containerd restarted: the same shim serves the pod, the app RUNNING, ExecSync works",
                  rc == 0 and st is not None and st.status.state == pb.CONTAINER_RUNNING and r is not None
                  and r.stdout == b"after-restart\n" and os.path.exists("/proc/%d" % shim_pid)
                  and proc_link(shim_pid, "exe") == shim_exe,
                  "restart status %d" % rc, err or (st and pb.ContainerState.Name(st.status.state)), err2 or (r and r.stdout))

        # --- exit codes and the OOM killer -----------------------------------------
        def run_to_exit(name, command, memory=0, tty=False):
            cfg = {"metadata": {"name": name}, "image": {"image": a.image}, "command": command,
                   "log_path": name + ".log", "tty": tty, "stdin": tty, "stdin_once": tty,
                   "linux": {"resources": {"memory_limit_in_bytes": memory}, "security_context": {"namespace_options": NAMESPACES, **PATHS}}}
            cid = call("CreateContainer (%s)" % name, "CreateContainer", pod_sandbox_id=sandbox, config=cfg,
                       sandbox_config=pod_config).container_id
            containers.append(cid)
            call("StartContainer (%s)" % name, "StartContainer", container_id=cid)

            def exited():
                s = cri.call("ContainerStatus", container_id=cid).status
                return s if s.state == pb.CONTAINER_EXITED else None
            return cid, wait_for(exited, 60)

        cid, s = run_to_exit("exit3", ["sh", "-c", "exit 3"])
        check("a container exiting 3: EXITED, exit_code 3, reason Error",
              s is not None and s.exit_code == 3 and s.reason == "Error" and s.finished_at > 0,
              "status %s" % str(s and (s.exit_code, s.reason)))
        # `kubectl run -it`: stdin and a terminal (the shim's console socket and pty pump).
        cid, s = run_to_exit("tty", ["sh", "-c", "test -t 0 && test -t 1 && tty"], tty=True)
        text = open(os.path.join(a.log_dir, "tty.log")).read() if os.path.exists(os.path.join(a.log_dir, "tty.log")) else ""
        check("a container with a terminal: exit_code 0, its tty in the log",
              s is not None and s.exit_code == 0 and "/dev/pts/" in text,
              "status %s" % str(s and (s.exit_code, s.reason)), text or "(no log)")
        # 64 MiB of dd buffer in a 16 MiB cgroup.
        cid, s = run_to_exit("oom", ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"], 16 << 20)
        # The shim's TaskOOM event may come after TaskExit: containerd then turns the
        # reason from Error into OOMKilled; the kubelet reads the status again later too.
        t0 = time.monotonic()
        if s is not None and s.reason != "OOMKilled":
            s = wait_for(lambda: (lambda x: x if x.reason == "OOMKilled" else None)(
                cri.call("ContainerStatus", container_id=cid).status), 10) or s
        check("a container over its memory limit: OOM-killed, exit_code 137, reason OOMKilled",
              s is not None and s.exit_code == 137 and s.reason == "OOMKilled",
              "status %s" % str(s and (s.exit_code, s.reason, s.message)))
        diag("OOMKilled seen %.2f s after the exit" % (time.monotonic() - t0))
        for cid in containers[1:]:
            call("RemoveContainer (exited)", "RemoveContainer", container_id=cid)
        ok("RemoveContainer of the exited containers")
        del containers[1:]

        # --- stop and remove -------------------------------------------------------
        call("StopContainer (app, timeout 10)", "StopContainer", container_id=app, timeout=10)
        s = cri.call("ContainerStatus", container_id=app).status
        text = open(log).read() if os.path.exists(log) else ""
        check("StopContainer (app): SIGTERM reaches it, EXITED with its exit code 0",
              s.state == pb.CONTAINER_EXITED and s.finished_at > 0 and s.exit_code == 0 and " stdout F app-term" in text,
              "state %s exit %d reason %s" % (pb.ContainerState.Name(s.state), s.exit_code, s.reason), text)
        call("RemoveContainer (app)", "RemoveContainer", container_id=app)
        containers.remove(app)
        r = cri.call("ListContainers", filter={"pod_sandbox_id": sandbox})
        check("RemoveContainer (app): no container left in the pod", len(r.containers) == 0, str(r))
        call("StopPodSandbox", "StopPodSandbox", pod_sandbox_id=sandbox)
        st = cri.call("PodSandboxStatus", pod_sandbox_id=sandbox).status
        check("StopPodSandbox: NOTREADY", st.state == pb.SANDBOX_NOTREADY, pb.PodSandboxState.Name(st.state))
        call("RemovePodSandbox", "RemovePodSandbox", pod_sandbox_id=sandbox)
        r = cri.call("ListPodSandbox", filter={"id": sandbox})
        check("RemovePodSandbox: the pod is gone", len(r.items) == 0, str(r))
        sandbox = None
    except Stop:
        diag("stopped after a failed step; tearing the pod down")
    finally:
        for cid in containers:
            try_call("RemoveContainer", container_id=cid)
        if sandbox:
            try_call("StopPodSandbox", pod_sandbox_id=sandbox)
            try_call("RemovePodSandbox", pod_sandbox_id=sandbox)

    # --- nothing left --------------------------------------------------------------
    if shim_pid:
        gone = wait_for(lambda: not os.path.exists("/proc/%d" % shim_pid) or proc_status(shim_pid, "State").startswith("Z"), 10)
        check("the shim exited (pid %d)" % shim_pid, gone, proc_read(shim_pid, "cmdline"))
    if shim_exe:
        left = related_processes(a.tmp, shim_exe)
        check("no shim process left", not left, *["%d %s" % (p, proc_read(p, "cmdline")) for p in left])
    if shim_socket:
        check("the shim's socket is gone", not os.path.exists(shim_socket), shim_socket)
    left = mounts_under(a.tmp)
    check("no mount left under the temp dir", not left, *left)
    left = [d for cg in cgroup_dirs(a.cgroup_parent) if os.path.isdir(cg)
            for d in os.listdir(cg) if os.path.isdir(os.path.join(cg, d))]
    check("no cgroup left under the cgroup_parent %s" % a.cgroup_parent, not left, *left)
    tasks = os.path.join(a.state, "io.containerd.runtime.v2.task", "k8s.io")
    left = [os.path.join(tasks, e) for e in os.listdir(tasks)] if os.path.isdir(tasks) else []
    check("no bundle left in containerd's task dir", not left, *left)
    for d in a.no_leftovers:
        # A runtime's compiled seccomp filter cache belongs to the runtime, not to any
        # container (petrel: <root>/seccomp@cache, specs/cli.md): it stays by design.
        left = [f for f in files_under(d) if "/seccomp@cache" not in f]
        check("nothing left in %s" % d[len(a.tmp) + 1:] if d.startswith(a.tmp) else d, not left, *left)

    diag("checks: %.1f s" % (time.monotonic() - started))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
