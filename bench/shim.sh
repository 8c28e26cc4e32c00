#!/usr/bin/env bash
# containerd shim benchmark: containerd-shim-petrel-v2 against containerd's runc shim
# (io.containerd.runc.v2 + runc), side by side under one private containerd 1.6.
#   1. latency and CPU of `ctr run --rm IMAGE ID true`, runs interleaved between runtimes;
#   2. idle footprint of 1, 10 and 50 `sleep inf` containers (one shim each), and of 10
#      containers grouped in one pod shim (io.kubernetes.cri.sandbox-id annotation).
# Usage: sudo bench/shim.sh [RUNS]   (default 30; also RUNS=, COUNTS="1 10 50", POD=10
#   (0: no pod), SETTLE=2 seconds before reading the footprint)
#   PETREL_SHIM_BIN=path  shim binary to test (default: static release build, built here)
#   NO_BUILD=1            do not build; skip petrel if the binary is missing
#   SMAPS_DIR=dir         keep one shim's smaps, status and cgroup per container count
# Writes bench/results/shim-<date>.md. Needs root, containerd/ctr 1.6, runc, busybox-static,
# jq, python3. Runs on cgroup v1/hybrid and v2 hosts. About 2 minutes with a built shim.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runs=${1:-${RUNS:-30}}
counts=${COUNTS:-1 10 50}
pod=${POD:-10}
ns=petrel-bench
export PATH=/opt/swift/usr/bin:$PATH

log() { printf '%s\n' "$*" >&2; }
die() { log "shim.sh: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
for t in containerd ctr runc containerd-shim-runc-v2 busybox jq python3; do
    command -v "$t" >/dev/null || die "missing $t"
done

T=$(mktemp -d /tmp/petrel-shim-bench.XXXXXX)
D=$T/c                       # containerd root/state/sockets
cg=petrel-shim-bench-${T##*.}  # cgroup tree: containerd (and so the shims) + every container
mkdir -p "$D" "$T/bin" "$T/s" "$T/petrel-state" "$T/img"

# --- cgroups: CPU of everything containerd starts is read from one tree we own --------------
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    cgv=2; cgbase=/sys/fs/cgroup/$cg
else
    cgv=1; cgbase=/sys/fs/cgroup/cpuacct/$cg
    [ -d /sys/fs/cgroup/cpuacct ] || die "no cpuacct hierarchy"
fi
# engine: containerd (so its shims) and the containers; client: each timed ctr
cgroot=$cgbase/engine cgclient=$cgbase/client
mkdir -p "$cgroot/containerd" "$cgclient" || die "cannot create $cgbase"
# CPU of the whole tree, in ns: total (exact run time) then user and system (v1 splits it
# by ticks, so only the total is subtracted from)
tree_cpu() {
    if [ $cgv = 2 ]; then
        awk '$1=="usage_usec"{t=$2} $1=="user_usec"{u=$2} $1=="system_usec"{s=$2} END{printf "%.0f %.0f %.0f\n", t*1000, u*1000, s*1000}' "$cgroot/cpu.stat"
    else
        echo "$(cat "$cgroot/cpuacct.usage") $(cat "$cgroot/cpuacct.usage_user") $(cat "$cgroot/cpuacct.usage_sys")"
    fi
}
# containerd's own threads (not its reaped children, which are shim start/delete calls), in
# ns: the sum of its threads' run time (Go keeps its threads; one that exited would make the
# children's figure larger)
self_cpu() { cat /proc/"$cpid"/task/*/schedstat 2>/dev/null | awk '{s+=$1} END{printf "%.0f\n", s}'; }
client_cpu() {
    if [ $cgv = 2 ]; then awk '$1=="usage_usec"{printf "%.0f\n", $2*1000}' "$cgclient/cpu.stat"
    else cat "$cgclient/cpuacct.usage"; fi
}
tree_pids() { find "$cgroot" -name cgroup.procs -exec cat {} + 2>/dev/null; }

cpid=
cleanup() {
    set +e
    log "cleaning up"
    if [ -n "$cpid" ] && kill -0 "$cpid" 2>/dev/null; then
        remove_all
        kill -TERM "$cpid"; wait "$cpid" 2>/dev/null
    fi
    # shims left behind (a failed run): they run in our tree, started by our containerd
    for p in $(tree_pids); do kill -KILL "$p" 2>/dev/null; done
    for a in $(find "$D/state" -name address 2>/dev/null); do
        s=$(sed 's|^unix://||' "$a"); [ -S "$s" ] && rm -f "$s"
    done
    grep -F " $T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do umount -l "$m"; done
    for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
        [ -d "$h/$cg" ] && find "$h/$cg" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the petrel shim -------------------------------------------------------------------
petrel_ok=1; petrel_why=
shim_bin=${PETREL_SHIM_BIN:-$repo/.build/release/containerd-shim-petrel-v2}
if [ -z "${PETREL_SHIM_BIN:-}" ] && [ -z "${NO_BUILD:-}" ]; then
    log "building the static release shim"
    if ! swift build -c release --product containerd-shim-petrel-v2 -Xswiftc -static-executable >"$T/build.log" 2>&1; then
        petrel_ok=0; petrel_why="build failed: $(tail -3 "$T/build.log" | tr '\n' ' ')"
    fi
fi
if [ $petrel_ok = 1 ] && [ ! -x "$shim_bin" ]; then petrel_ok=0; petrel_why="no shim binary at $shim_bin"; fi
[ $petrel_ok = 1 ] && ln -s "$shim_bin" "$T/bin/containerd-shim-petrel-v2"

# --- image: the busybox rootfs of make-bundle as an OCI archive -------------------------------------------
image=localhost/petrel-bench:latest
make_image() {
    scripts/make-bundle "$T/img/bundle" -- true >/dev/null &&
        scripts/make-oci-image --rootfs "$T/img/bundle/rootfs" --name "$image" "$T/img/image.tar" >/dev/null
}

# --- containerd ----------------------------------------------------------------------
cat >"$D/config.toml" <<EOC
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
EOC
# containerd (and so every shim it starts) runs in our cgroup tree; the subshell moves
# itself there before exec
(
    echo $BASHPID >"$cgroot/containerd/cgroup.procs"
    export PATH=$T/bin:$PATH PETREL_SHIM_SOCKET_DIR=$T/s PETREL_SHIM_ROOT=$T/petrel-state
    exec containerd --config "$D/config.toml" >"$T/containerd.log" 2>&1
) &
cpid=$!
for _ in $(seq 100); do [ -S "$D/containerd.sock" ] && break; sleep 0.05; done
[ -S "$D/containerd.sock" ] || die "containerd did not start: $(tail -5 "$T/containerd.log")"
ctr() { command ctr -a "$D/containerd.sock" -n "$ns" "$@"; }
fifo="--fifo-dir $D/fifo"

make_image || die "image build failed"
ctr images import "$T/img/image.tar" >/dev/null || die "image import failed"

runtime_name() { [ "$1" = petrel ] && echo io.containerd.petrel.v2 || echo io.containerd.runc.v2; }
run_opts() {   # per-runtime ctr flags; runc's state stays out of /run/containerd
    echo "--runtime $(runtime_name "$1") $fifo --cgroup /$cg/engine/ctr/$2"
    [ "$1" = runc ] && echo "--runc-root $D/runc"
}
remove_all() {
    local ids
    ids=$(ctr task ls -q 2>/dev/null)
    for id in $ids; do ctr task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    for id in $ids; do
        for _ in $(seq 100); do
            ctr task ls 2>/dev/null | awk -v i="$id" '$1==i{print $3}' | grep -q STOPPED && break; sleep 0.05
        done
        ctr task rm "$id" >/dev/null 2>&1 || ctr task rm -f "$id" >/dev/null 2>&1
    done
    ids=$(ctr c ls -q 2>/dev/null)
    [ -n "$ids" ] && ctr c rm $ids >/dev/null 2>&1
    # shims exit after their last task is deleted
    for _ in $(seq 100); do [ "$(tree_pids | grep -vcx "$cpid")" = 0 ] && break; sleep 0.05; done
}
# wait until nothing but containerd is left in the tree (shims exit after `ctr run --rm`
# returns: their exit belongs to the run that started them)
quiet() { for _ in $(seq 200); do [ "$(tree_pids | grep -vcx "$cpid")" = 0 ] && return 0; sleep 0.01; done; return 1; }

if [ $petrel_ok = 1 ]; then
    if ! out=$(ctr run --rm $(run_opts petrel probe) "$image" probe sh -c 'echo ok' 2>&1) || [ "$out" != ok ]; then
        petrel_ok=0; petrel_why="ctr run through the petrel shim failed: $(echo "$out" | tail -3 | tr '\n' ' ')"
        remove_all
    fi
fi
rts=runc; [ $petrel_ok = 1 ] && rts="runc petrel"
[ $petrel_ok = 1 ] || log "petrel rows skipped: $petrel_why"

# --- 1. latency and CPU of ctr run --rm true ----------------------------------------------
log "latency: $runs runs of ctr run --rm true per runtime, interleaved"
declare -A wall cpu_children cpu_self cpu_user cpu_sys cpu_client fails
one_run() {   # $1 runtime, $2 id; appends ms wall and CPU figures
    local rt=$1 id=$2 t0 t1 a0 u0 s0 a1 u1 s1 c0 c1 k0 k1 opts
    opts=$(run_opts "$rt" "$id")
    read -r a0 u0 s0 < <(tree_cpu); c0=$(self_cpu); k0=$(client_cpu)
    t0=$(date +%s%N)
    if ! (echo $BASHPID >"$cgclient/cgroup.procs" && exec ctr -a "$D/containerd.sock" -n "$ns" run --rm $opts "$image" "$id" true) >/dev/null 2>"$T/err"; then
        fails[$rt]=$(( ${fails[$rt]:-0} + 1 )); log "$rt run $id failed: $(head -c 300 "$T/err")"; remove_all; return
    fi
    t1=$(date +%s%N)
    quiet || log "$rt: processes left in the tree after run $id"
    read -r a1 u1 s1 < <(tree_cpu); c1=$(self_cpu); k1=$(client_cpu)
    cpu_client[$rt]+="$(( (k1 - k0) / 1000 )) "
    wall[$rt]+="$(( (t1 - t0) / 1000 )) "
    cpu_self[$rt]+="$(( (c1 - c0) / 1000 )) "
    cpu_children[$rt]+="$(( (a1 - a0 - (c1 - c0)) / 1000 )) "
    cpu_user[$rt]+="$(( (u1 - u0) / 1000 )) "; cpu_sys[$rt]+="$(( (s1 - s0) / 1000 )) "
}
for i in 1 2 3; do for rt in $rts; do ctr run --rm $(run_opts "$rt" w$i$rt) "$image" "w$i$rt" true >/dev/null 2>&1; quiet; done; done
for i in $(seq "$runs"); do
    order=$rts; [ $((i % 2)) = 0 ] && order=$(echo $rts | tr ' ' '\n' | tac | tr '\n' ' ')
    for rt in $order; do one_run "$rt" "r$i-$rt"; done
done
{   # raw figures, µs: runtime, run, wall, CPU children, containerd itself, ctr
    for rt in $rts; do
        paste <(tr ' ' '\n' <<<"${wall[$rt]:-}") <(tr ' ' '\n' <<<"${cpu_children[$rt]:-}") \
            <(tr ' ' '\n' <<<"${cpu_self[$rt]:-}") <(tr ' ' '\n' <<<"${cpu_client[$rt]:-}") |
            awk -v r="$rt" 'NF==4{print r "\t" NR "\t" $0}'
    done
} >"$T/runs.tsv"
# nearest-rank percentile of a list of µs values, printed in ms
pct() { tr ' ' '\n' | grep . | sort -n | awk -v q="$1" '{a[NR]=$1} END{if(!NR){printf "-"; exit} i=int(q*NR+0.999999); if(i<1)i=1; printf "%.1f", a[i]/1000}'; }
mean() { tr ' ' '\n' | grep . | awk '{s+=$1} END{if(NR) printf "%.1f", s/NR/1000; else print "-"}'; }

# --- 2. idle footprint ------------------------------------------------------------------
# the shims are the parents of the containers' init processes (both shims are subreapers)
shim_pids() { for p in $(ctr task ls 2>/dev/null | awk 'NR>1 && $3=="RUNNING"{print $2}'); do
    awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null; done | sort -u; }
# one line: shims containers rss pss uss threads fds anon (KiB, sums over the shims)
footprint() {
    local n=$1 p rss pss uss thr fds anon s=0 R=0 P=0 U=0 Th=0 F=0 A=0 pids
    # `ctr task ls` asks every shim for its state: read after the shims are idle again (the
    # petrel shim drops the binary pages it touched after a quiet second).
    pids=$(shim_pids)
    sleep 1.5
    for p in $pids; do
        read -r rss anon thr < <(awk '/^VmRSS:/{r=$2} /^RssAnon:/{a=$2} /^Threads:/{t=$2} END{print r, a, t}' "/proc/$p/status")
        read -r pss uss < <(awk '/^Pss:/{p=$2} /^Private_(Clean|Dirty):/{u+=$2} END{print p, u}' "/proc/$p/smaps_rollup")
        fds=$(ls "/proc/$p/fd" | wc -l)
        s=$((s + 1)); R=$((R + rss)); P=$((P + pss)); U=$((U + uss)); Th=$((Th + thr)); F=$((F + fds)); A=$((A + anon))
    done
    echo "$s $n $R $P $U $Th $F $A"
}
declare -A fp
settle=${SETTLE:-2}
for rt in $rts; do
    have=0
    for n in $counts; do
        log "footprint: $rt, $n containers"
        while [ $have -lt "$n" ]; do
            have=$((have + 1))
            ctr run -d $(run_opts "$rt" "f$have") "$image" "f$have" sleep inf >/dev/null 2>"$T/err" ||
                { log "$rt: run -d f$have failed: $(head -c 300 "$T/err")"; break; }
        done
        sleep "$settle"; fp[$rt,$n]=$(footprint "$n")
        if [ -n "${SMAPS_DIR:-}" ]; then   # for a closer look: one shim's maps, status, cgroups
            mkdir -p "$SMAPS_DIR"; p=$(shim_pids | head -1)
            for f in smaps status cgroup; do cp "/proc/$p/$f" "$SMAPS_DIR/$rt-$n.$f"; done
        fi
    done
    remove_all
    if [ "$pod" -gt 0 ]; then
        log "footprint: $rt, $pod containers in one pod"
        for i in $(seq "$pod"); do
            ctr run -d $(run_opts "$rt" "p$i") --annotation io.kubernetes.cri.sandbox-id=benchpod \
                "$image" "p$i" sleep inf >/dev/null 2>"$T/err" || { log "$rt: pod run p$i failed: $(head -c 300 "$T/err")"; break; }
            if [ "$i" = 1 ]; then sleep "$settle"; fp[$rt,pod1]=$(footprint 1); fi
        done
        sleep "$settle"; fp[$rt,pod]=$(footprint "$pod")
        remove_all
    fi
done

# --- report ----------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)
out=bench/results/shim-$(date -u +%Y-%m-%d-%H%M).md
[ -e "$out" ] && out=${out%.md}-$$.md
mkdir -p bench/results
mib() { awk -v k="$1" -v d="${2:-1}" 'BEGIN{printf "%.2f", k/1024/d}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if (b > 0) printf " (%.2fx)", a/b}'; }
{
    echo "# Shim benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(nproc) CPUs, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), cgroup v$cgv host, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- $(containerd --version | cut -d' ' -f1,3), $(runc --version | head -1), runc shim $(containerd-shim-runc-v2 -v 2>/dev/null | awk '/Version/{print $2}')"
    echo "- petrel worktree at $commit, shim $( [ $petrel_ok = 1 ] && echo "$shim_bin ($(stat -Lc %s "$shim_bin" | awk '{printf "%.1f MB", $1/1e6}'))" || echo "skipped: $petrel_why")"
    echo
    echo "## ctr run --rm IMAGE ID true ($runs runs each, interleaved)"
    echo
    echo "Wall: ctr's start to its exit. CPU: user+sys of everything containerd started (shim"
    echo "start/serve/delete processes, runtime, container), read as the CPU of a cgroup tree holding"
    echo "containerd and the containers, minus the run time of containerd's own threads"
    echo "(/proc/PID/task/*/schedstat); containerd's own CPU and ctr's (its own cgroup) are shown apart."
    echo
    echo "| runtime | wall p50 | wall p90 | CPU children mean | CPU children p50 | tree user / sys (incl. containerd, ticks) | containerd itself | ctr client | failures |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for rt in $rts; do
        w=${wall[$rt]:-}; c=${cpu_children[$rt]:-}
        r50=; r90=; rc=
        if [ "$rt" = petrel ]; then
            r50=$(ratio "$(pct 0.5 <<<"$w")" "$(pct 0.5 <<<"${wall[runc]:-}")")
            r90=$(ratio "$(pct 0.9 <<<"$w")" "$(pct 0.9 <<<"${wall[runc]:-}")")
            rc=$(ratio "$(mean <<<"$c")" "$(mean <<<"${cpu_children[runc]:-}")")
        fi
        echo "| $rt | $(pct 0.5 <<<"$w") ms$r50 | $(pct 0.9 <<<"$w") ms$r90 | $(mean <<<"$c") ms$rc | $(pct 0.5 <<<"$c") ms | $(mean <<<"${cpu_user[$rt]:-}") / $(mean <<<"${cpu_sys[$rt]:-}") ms | $(mean <<<"${cpu_self[$rt]:-}") ms | $(mean <<<"${cpu_client[$rt]:-}") ms | ${fails[$rt]:-0} |"
    done
    echo
    echo "## Idle footprint (ctr run -d ... sleep inf, ${settle} s after the last start)"
    echo
    echo "Shims = parents of the containers' init processes. RSS (VmRSS; anon = RssAnon, the rest is"
    echo "mapped file pages, mostly the binary's text, shared between shims of the same binary), PSS and"
    echo "USS (private pages) from /proc/PID/smaps_rollup; per shim (mean) and per container (sum over"
    echo "shims / containers). PSS and USS of the runc shim also depend on other runc shims running on the"
    echo "machine (they share its text): compare RSS anon and PSS at 10 and 50 containers."
    echo
    echo "| runtime | containers | shims | RSS/shim | of which anon | PSS/shim | USS/shim | threads/shim | fds/shim | PSS/container | RSS/container |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for rt in $rts; do for n in $counts pod1 pod; do
        [ -n "${fp[$rt,$n]:-}" ] || continue
        read -r s c R P U Th F A <<<"${fp[$rt,$n]}"
        [ "$s" -gt 0 ] || { echo "| $rt | $n | 0 | - | - | - | - | - | - | - | - |"; continue; }
        label=$c; [ "$n" = pod ] || [ "$n" = pod1 ] && label="$c in a pod"
        echo "| $rt | $label | $s | $(mib $R $s) MiB | $(mib $A $s) MiB | $(mib $P $s) MiB | $(mib $U $s) MiB | $((Th / s)) | $((F / s)) | $(mib $P $c) MiB | $(mib $R $c) MiB |"
    done; done
    if [ "$pod" -gt 1 ]; then
        echo
        echo "Cost of each extra container in one pod shim (pod of $pod minus pod of 1, / $((pod - 1))):"
        echo
        for rt in $rts; do
            [ -n "${fp[$rt,pod1]:-}" ] && [ -n "${fp[$rt,pod]:-}" ] || continue
            read -r _ _ R1 P1 U1 _ _ <<<"${fp[$rt,pod1]}"; read -r _ _ R2 P2 U2 _ _ <<<"${fp[$rt,pod]}"
            echo "- $rt: RSS $(mib $((R2 - R1)) $((pod - 1))) MiB, PSS $(mib $((P2 - P1)) $((pod - 1))) MiB, USS $(mib $((U2 - U1)) $((pod - 1))) MiB"
        done
    fi
    echo
    echo "<details><summary>per run (µs): runtime, round, wall, CPU children, containerd itself, ctr</summary>"
    echo
    echo '```'
    cat "$T/runs.tsv"
    echo '```'
    echo "</details>"
} >"$out"
sed '/^<details>/,$d' "$out"
log "written to $out"
