#!/usr/bin/env bash
# Cost of the CVE-2019-5736 protection (specs/protected-binary.md) on `run true` and
# `exec ID true`, side by side with runc and crun in the same hyperfine run:
# - petrel             the binary as installed: create/run/exec re-execute it through a
#                      new detached read-only overlay (the default path);
# - petrel-memfd       the same under a seccomp filter failing fsopen: the sealed memfd
#                      copy (the fallback);
# - petrel-no-reexec   the same binary started from a read-only overlay mounted here: it
#                      is protected already, so there is no re-exec (= the cost before);
# - runc 1.1.5 (runc init from a read-only bind mount of itself, else a memfd copy),
#   crun 1.8.1 (through the hybrid-host wrapper, as in startup.sh).
# Prints wall time and CPU time (user+sys of the runtime and its children) and ratios.
# Usage: sudo bench/protection.sh [RUNS]   (needs hyperfine, jq, cc, runc, crun, busybox-static)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
export PATH=/opt/swift/usr/bin:$PATH

swift build -c release -Xswiftc -static-executable --product petrel >/dev/null
work=$(mktemp -d /tmp/petrel-bench-protect.XXXXXX)
mkdir "$work/bin" "$work/empty" "$work/ro"
cp .build/release/petrel "$work/bin/petrel"
mount -t overlay overlay -o ro,lowerdir="$work/bin:$work/empty" "$work/ro"
cleanup() {
    for s in "$work"/st-*; do
        [ -d "$s" ] || continue
        case $s in
            *runc) runc --root "$s" delete -f sleeper ;;
            *crun) "$crun" --root "$s" delete -f sleeper ;;
            *) "$work/bin/petrel" --root "$s" delete -f sleeper ;;
        esac
    done >/dev/null 2>&1 || true
    umount "$work/ro" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/no-fsopen.c" <<'C'
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <unistd.h>
int main(int argc, char **argv) {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 430, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog p = {4, f};
    if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p)) return 125;
    execv(argv[1], argv + 1);
    return 127;
}
C
cc -O2 -o "$work/no-fsopen" "$work/no-fsopen.c"

crun=/usr/bin/crun
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
    cat >"$work/crun" <<'W'
#!/bin/sh
exec unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified && exec /usr/bin/crun "$@"' crun "$@"
W
    chmod +x "$work/crun"
    crun=$work/crun
fi

declare -A bin=(
    [petrel]="$work/bin/petrel"
    [petrel-memfd]="$work/no-fsopen $work/bin/petrel"
    [petrel-no-reexec]="$work/ro/petrel"
    [runc]=runc
    [crun]=$crun
)
names=(petrel petrel-memfd petrel-no-reexec runc crun)
state() { case $1 in petrel*) echo "$work/st-petrel" ;; *) echo "$work/st-$1" ;; esac; }

scripts/make-bundle "$work/true" -- true >/dev/null
scripts/make-bundle "$work/sleeper" -- sleep 3600 >/dev/null
for n in petrel runc crun; do ${bin[$n]} --root "$(state $n)" run -d -b "$work/sleeper" sleeper >/dev/null; done

args=()
for n in "${names[@]}"; do args+=(-n "$n" "${bin[$n]} --root $work/run-$n run -b $work/true bench"); done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/run.json" "${args[@]}" >/dev/null
args=()
for n in "${names[@]}"; do args+=(-n "$n" "${bin[$n]} --root $(state "$n") exec sleeper true"); done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/exec.json" "${args[@]}" >/dev/null

table() {
    jq -r --arg what "$1" '
        (.results[] | select(.command == "petrel-no-reexec") | .mean) as $base_wall
        | (.results[] | select(.command == "petrel-no-reexec") | (.user + .system)) as $base_cpu
        | .results[]
        | "| \($what) | \(.command) | \(.mean * 1000 * 10 | round / 10) ms (\(.mean / $base_wall * 100 | round / 100)x) | \((.user + .system) * 1000 * 10 | round / 10) ms (\((.user + .system) / $base_cpu * 100 | round / 100)x) |"
    ' "$2"
}
echo "| call | runtime | wall (vs petrel-no-reexec) | CPU user+sys (vs petrel-no-reexec) |"
echo "|---|---|---|---|"
table 'run `true`' "$work/run.json"
table 'exec `true`' "$work/exec.json"
