#!/usr/bin/env python3
"""Petrel, runc and crun side by side: every verb engines call, interleaved, with wall and
CPU time (user+sys of the runtime and the children it waits for, from wait4), peak RSS,
and callgrind instruction counts. Called by bench/run, which builds and prepares; this
file only measures and writes the report (Markdown, plus a gnuplot PNG of the ratios).

Usage: measure.py --petrel BIN --runc BIN --crun BIN [--crun-wrapper W --crun-noop N]
                  --bundle B --seccomp-bundle S --work DIR --runs N --out FILE.md
"""
import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time

RUNTIMES = ["petrel", "runc", "crun"]


RUSAGE = None  # bench/rusage, compiled by bench/run


def spawn(argv):
    """Runs argv to completion under bench/rusage: (status, wall s, cpu s, peak RSS KiB)."""
    read, write = os.pipe()
    launcher = [RUSAGE] + argv
    pid = os.posix_spawn(RUSAGE, launcher, os.environ,
                         file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                                       (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                       (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
                                       (os.POSIX_SPAWN_DUP2, write, 3)])
    os.close(write)
    text = os.read(read, 200).decode()
    os.close(read)
    os.waitpid(pid, 0)
    status, wall, cpu, rss = (int(x) for x in text.split())
    return status, wall / 1e9, cpu / 1e6, rss


class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = {"petrel": args.petrel, "runc": args.runc, "crun": args.crun_wrapper or args.crun}
        self.samples = {}  # (case, runtime) -> list of (wall, cpu, rss)
        self.failures = {}
        self.counter = 0

    def root(self, runtime):
        return os.path.join(self.args.work, "state-" + runtime)

    def call(self, runtime, *verb):
        return [self.bin[runtime], "--root", self.root(runtime)] + list(verb)

    def new_id(self, prefix):
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def quiet(self, argv):
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def measure(self, case, runtime, argv):
        status, wall, cpu, rss = spawn(argv)
        if status != 0:
            self.failures.setdefault((case, runtime), " ".join(argv) + f" -> exit {status}")
            return
        self.samples.setdefault((case, runtime), []).append((wall, cpu, rss))

    def wait_stopped(self, runtime, cid):
        for _ in range(500):
            out = subprocess.run(self.call(runtime, "state", cid), capture_output=True, text=True).stdout
            if '"stopped"' in out or not out:
                return
            time.sleep(0.01)

    # --- cases: setup is not measured, only the verb itself ---
    def case_version(self, runtime):
        self.measure("--version", runtime, [self.bin[runtime], "--version"])

    def case_run(self, runtime):
        self.measure("run", runtime, self.call(runtime, "run", "-b", self.args.bundle, self.new_id("r")))

    def case_run_seccomp(self, runtime):
        self.measure("run (Docker-like seccomp)", runtime,
                     self.call(runtime, "run", "-b", self.args.seccomp_bundle, self.new_id("s")))

    def case_run_seccomp_cold(self, runtime):
        """In a fresh --root: petrel's compiled-filter cache (specs/security.md) is empty."""
        root = os.path.join(self.args.work, "cold-" + self.new_id(runtime))
        self.measure("run (Docker-like seccomp, fresh --root)", runtime,
                     [self.bin[runtime], "--root", root, "run", "-b", self.args.seccomp_bundle, self.new_id("s")])
        shutil.rmtree(root, ignore_errors=True)

    def case_lifecycle(self, runtime):
        cid = self.new_id("c")
        self.measure("create", runtime, self.call(runtime, "create", "-b", self.args.bundle, cid))
        self.measure("start", runtime, self.call(runtime, "start", cid))
        self.wait_stopped(runtime, cid)
        self.measure("delete", runtime, self.call(runtime, "delete", cid))

    def case_state_exec(self, runtime):
        self.measure("state", runtime, self.call(runtime, "state", "sleeper"))
        self.measure("exec", runtime, self.call(runtime, "exec", "sleeper", "true"))

    def case_kill(self, runtime):
        cid = self.new_id("k")
        self.quiet(self.call(runtime, "run", "-d", "-b", self.args.sleeper_bundle, cid))
        self.measure("kill", runtime, self.call(runtime, "kill", cid, "KILL"))
        self.wait_stopped(runtime, cid)
        self.quiet(self.call(runtime, "delete", "-f", cid))

    def case_burst(self, runtime):
        """50 concurrent create+start+delete, measured as one shell that waits for all."""
        n = self.args.burst
        base = self.new_id("b")
        rt = " ".join(self.call(runtime))
        script = "".join(
            f"( {rt} create -b {self.args.bundle} {base}-{i} && {rt} start {base}-{i}; "
            f"{rt} delete -f {base}-{i} ) >/dev/null 2>&1 &\n" for i in range(n)) + "wait\n"
        self.measure(f"{n} concurrent create+start+delete", runtime, ["/bin/sh", "-c", script])

    def run_all(self):
        cases = [self.case_version, self.case_run, self.case_run_seccomp, self.case_run_seccomp_cold, self.case_lifecycle,
                 self.case_state_exec, self.case_kill]
        for runtime in RUNTIMES:
            self.quiet(self.call(runtime, "run", "-d", "-b", self.args.sleeper_bundle, "sleeper"))
        try:
            for case in cases:
                for _ in range(self.args.runs):
                    order = RUNTIMES[:]
                    random.shuffle(order)
                    for runtime in order:
                        case(runtime)
            for _ in range(self.args.burst_runs):
                order = RUNTIMES[:]
                random.shuffle(order)
                for runtime in order:
                    self.case_burst(runtime)
        finally:
            for runtime in RUNTIMES:
                self.quiet(self.call(runtime, "delete", "-f", "sleeper"))

    def wrapper_cost(self):
        """The hybrid-host crun wrapper's own cost (unshare + umount + exec), measured alone."""
        if not self.args.crun_noop:
            return 0.0, 0.0
        walls, cpus = [], []
        for _ in range(max(5, self.args.runs)):
            status, wall, cpu, _ = spawn([self.args.crun_noop])
            if status == 0:
                walls.append(wall)
                cpus.append(cpu)
        return (statistics.median(walls), statistics.median(cpus)) if walls else (0.0, 0.0)

    # --- callgrind: user-space instructions (valgrind follows no children) ---
    def instructions(self, argv, wrap=()):
        log = os.path.join(self.args.work, "callgrind.log")
        env = dict(os.environ, _LIBCONTAINER_CLONED_BINARY="1")
        status = subprocess.run(list(wrap) + ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                                  "--log-file=" + log] + argv,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env).returncode
        try:
            text = open(log).read()
        except OSError:
            return None
        for line in text.splitlines():
            if "Collected :" in line and status == 0:
                return int(line.split("Collected :")[1].split()[0])
        return None

    def instruction_counts(self):
        if not shutil.which("valgrind"):
            return {}
        counts = {}
        # Both runtimes re-execute themselves from a sealed or read-only copy, which valgrind
        # cannot follow: bench/run gives each a read-only location (an overlay for petrel, a
        # read-only bind mount plus _LIBCONTAINER_CLONED_BINARY=1 for crun), where each
        # already counts as protected.
        bins = {"petrel": self.args.petrel_callgrind or self.args.petrel,
                "crun": self.args.crun_callgrind or self.args.crun}
        for runtime in ("petrel", "crun"):
            root = os.path.join(self.args.work, "cg-" + runtime)
            base = [bins[runtime], "--root", root]
            # crun needs its wrapper on a hybrid host for anything that makes cgroups: run
            # valgrind inside the same private mount namespace.
            wrap = []
            if runtime == "crun" and self.args.crun_wrapper:
                wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', "sh"]
            self.quiet(wrap + base + ["run", "-d", "-b", self.args.sleeper_bundle + "-cg", "cgs"])
            for name, verb in [("--version", ["--version"]), ("state", ["state", "cgs"]),
                               ("run", ["run", "-b", self.args.bundle + "-cg", "cgr"]),
                               ("exec", ["exec", "cgs", "true"])]:
                argv = [bins[runtime]] + verb if name == "--version" else base + verb
                counts[(name, runtime)] = self.instructions(argv, wrap if name in ("run", "exec") else ())
                self.quiet(wrap + base + ["delete", "-f", "cgr"])
            self.quiet(wrap + base + ["delete", "-f", "cgs"])
        return counts


def fmt_ms(values):
    return f"{statistics.median(values) * 1000:.1f} ({min(values) * 1000:.1f}-{max(values) * 1000:.1f})"


def versions(args):
    def first_line(argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return {"petrel": first_line([args.petrel, "--version"]), "runc": first_line([args.runc, "--version"]),
            "crun": first_line([args.crun, "--version"])}


def host_facts():
    cgroup = "v2 (unified)" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else (
        "hybrid (v1 + v2)" if os.path.exists("/sys/fs/cgroup/unified") else "v1")
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"host": platform.node(), "kernel": platform.release(), "cgroup": cgroup, "cpu": cpu,
            "cpus": os.cpu_count(), "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def report(bench, wrapper, counts, args):
    facts = host_facts()
    lines = [f"# Runtime benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", ""]
    lines += [f"- host {facts['host']}: {facts['cpu']}, {facts['cpus']} CPUs, kernel {facts['kernel']}, "
              f"cgroup {facts['cgroup']}, load average at the end {facts['load']}"]
    for runtime, version in versions(args).items():
        lines.append(f"- {runtime}: `{version}`")
    lines.append(f"- {args.runs} interleaved runs per verb (random order each round), "
                 f"{args.burst_runs} of the burst; times in ms, median (min-max).")
    lines.append("- CPU = user+sys of the runtime and of the children it waits for (wait4), so the "
                 "container's own `true` is in `run`. Peak RSS = largest ru_maxrss of the call.")
    if args.crun_wrapper:
        lines.append(f"- crun runs through a wrapper that hides the v2 mount (crun refuses hybrid hosts); "
                     f"its own cost, measured alone ({wrapper[0] * 1000:.1f} ms wall, {wrapper[1] * 1000:.1f} ms CPU "
                     f"median), is subtracted from crun's medians.")
    lines += ["", "| verb | petrel wall | runc wall | crun wall | petrel CPU | runc CPU | crun CPU "
                  "| CPU petrel/crun | CPU petrel/runc | wall petrel/crun | peak RSS KiB p/r/c |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    ratios = []
    cases = []
    for (case, _) in bench.samples:
        if case not in cases:
            cases.append(case)
    for case in cases:
        row = [case]
        med_wall, med_cpu, rss = {}, {}, {}
        for metric in ("wall", "cpu"):
            for runtime in RUNTIMES:
                samples = bench.samples.get((case, runtime))
                if not samples:
                    row.append("failed")
                    continue
                values = [s[0] if metric == "wall" else s[1] for s in samples]
                if runtime == "crun" and args.crun_wrapper:
                    cost = wrapper[0] if metric == "wall" else wrapper[1]
                    values = [max(v - cost, 0.0) for v in values]
                (med_wall if metric == "wall" else med_cpu)[runtime] = statistics.median(values)
                rss[runtime] = max(s[2] for s in samples)
                row.append(fmt_ms(values))
        def ratio(table, a, b):
            return table[a] / table[b] if a in table and b in table and table[b] > 0 else None
        r_crun, r_runc, w_crun = ratio(med_cpu, "petrel", "crun"), ratio(med_cpu, "petrel", "runc"), ratio(med_wall, "petrel", "crun")
        row += [f"{r:.2f}x" if r else "-" for r in (r_crun, r_runc, w_crun)]
        row.append("/".join(str(rss.get(rt, "-")) for rt in RUNTIMES))
        lines.append("| " + " | ".join(row) + " |")
        ratios.append((case, r_crun, r_runc))
    if counts:
        lines += ["", "User-space instructions (callgrind, one call of the runtime's own process, bundles "
                  "without rlimits; n/a: valgrind cannot run it):", "",
                  "| call | petrel | crun | petrel/crun |", "|---|---|---|---|"]
        for name in ("--version", "state", "run", "exec"):
            p, c = counts.get((name, "petrel")), counts.get((name, "crun"))
            lines.append(f"| {name} | {p / 1e6:.2f} M | {c / 1e6:.2f} M | {p / c:.2f}x |" if p and c else
                         f"| {name} | {f'{p / 1e6:.2f} M' if p else 'n/a'} | {f'{c / 1e6:.2f} M' if c else 'n/a'} | - |")
    size = os.path.getsize(args.petrel)
    lines += ["", f"Binary: petrel {size / 1e6:.1f} MB as built"
              + (f", {os.path.getsize(args.petrel_stripped) / 1e6:.1f} MB stripped" if args.petrel_stripped else "")
              + f"; runc {os.path.getsize(shutil.which(args.runc) or args.runc) / 1e6:.1f} MB; "
              f"crun {os.path.getsize(args.crun) / 1e6:.2f} MB."]
    if bench.failures:
        lines += ["", "Failures (first command of each):", ""]
        lines += [f"- {case} / {runtime}: `{text}`" for (case, runtime), text in bench.failures.items()]
    open(args.out, "w").write("\n".join(lines) + "\n")
    chart(ratios, args)


def chart(ratios, args):
    """A PNG bar chart of the CPU ratios (below 1: petrel is cheaper)."""
    if not shutil.which("gnuplot"):
        return
    data = os.path.join(args.work, "ratios.dat")
    with open(data, "w") as f:
        for case, r_crun, r_runc in ratios:
            f.write(f"\"{case}\" {r_crun or 0:.3f} {r_runc or 0:.3f}\n")
    png = os.path.splitext(args.out)[0] + ".png"
    script = f"""
set terminal pngcairo size 1100,520 font ",10"
set output "{png}"
set title "petrel CPU time as a fraction of crun's and runc's (lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set xtics rotate by -25 scale 0
set key top left
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 2
plot "{data}" using 2:xtic(1) title "petrel / crun", "" using 3 title "petrel / runc"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=False)


def main():
    parser = argparse.ArgumentParser()
    for name in ("petrel", "runc", "crun", "bundle", "seccomp-bundle", "sleeper-bundle", "work", "out"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--crun-wrapper")
    parser.add_argument("--crun-noop")
    parser.add_argument("--petrel-stripped")
    parser.add_argument("--petrel-callgrind")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--burst-runs", type=int, default=3)
    parser.add_argument("--no-callgrind", action="store_true")
    parser.add_argument("--rusage", required=True)
    parser.add_argument("--crun-callgrind")
    args = parser.parse_args()
    global RUSAGE
    RUSAGE = args.rusage
    bench = Bench(args)
    bench.run_all()
    wrapper = bench.wrapper_cost()
    counts = {} if args.no_callgrind else bench.instruction_counts()
    report(bench, wrapper, counts, args)
    print(args.out)


if __name__ == "__main__":
    main()
