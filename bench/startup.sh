#!/usr/bin/env bash
# Side-by-side start-up benchmark: `RUNTIME run` of a busybox bundle running `true`,
# for petrel (static release build), runc and crun, in the same hyperfine run, so the
# numbers are read as ratios. Also times `--version` (pure binary start-up).
# Usage: sudo bench/startup.sh [RUNS]   (needs hyperfine, runc, crun, busybox-static, jq)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
export PATH=/opt/swift/usr/bin:$PATH

swift build -c release -Xswiftc -static-executable --product petrel >/dev/null
petrel=$PWD/.build/release/petrel
work=$(mktemp -d /tmp/petrel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

scripts/make-bundle "$work/bundle" -- true >/dev/null
# crun 1.8.1 refuses hybrid hosts; hide the v2 mount in a private mount namespace (see
# ../shared/engines/05-wrappers.sh). The wrapper's own cost is measured alone as well.
crun=/usr/bin/crun
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
    cat >"$work/crun" <<'W'
#!/bin/sh
exec unshare -m --propagation private sh -c 'umount -l /sys/fs/cgroup/unified && exec /usr/bin/crun "$@"' crun "$@"
W
    chmod +x "$work/crun"
    crun=$work/crun
fi

n=0
cmd() { n=$((n + 1)); echo "$1 --root $work/state-$n run -b $work/bundle bench-$n"; }
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/run.md" \
    -n petrel "$(cmd "$petrel")" -n runc "$(cmd runc)" -n crun "$(cmd "$crun")"
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/version.md" \
    -n petrel "$petrel --version" -n runc "runc --version" -n crun "crun --version"
# `state` of a running container: the call engines make most often.
scripts/make-bundle "$work/sleeper" -- sleep 600 >/dev/null
for rt in petrel runc crun; do
    bin=$petrel; [ $rt = runc ] && bin=runc; [ $rt = crun ] && bin=$crun
    "$bin" --root "$work/st-$rt" run -d -b "$work/sleeper" "s-$rt" >/dev/null
done
trap '"$petrel" --root "$work/st-petrel" delete -f s-petrel; runc --root "$work/st-runc" delete -f s-runc; "$crun" --root "$work/st-crun" delete -f s-crun; rm -rf "$work"' EXIT
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$work/state.md" \
    -n petrel "$petrel --root $work/st-petrel state s-petrel" -n runc "runc --root $work/st-runc state s-runc" \
    -n crun "/usr/bin/crun --root $work/st-crun state s-crun"
cat "$work/run.md" "$work/version.md" "$work/state.md"
