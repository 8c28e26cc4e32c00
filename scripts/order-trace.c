// order-trace BINARY ADDRESSES OUT CMD ARGS...: runs CMD (and everything it starts) under
// ptrace and writes to OUT, one hex address a line, the functions of BINARY in the order
// they first execute, in any process that runs BINARY (forks, clones, the protected
// re-exec). ADDRESSES lists the functions' entry addresses (hex, one a line, from the
// unstripped, non-PIE BINARY's symbol table). Each process that execs BINARY gets an int3 at
// the entry of every function not yet seen; a hit is recorded, the byte restored, and the
// function resumed: exact, and each function costs one trap. Used by scripts/make-order-file.
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static uint64_t *addrs;      // sorted function entries
static size_t naddrs;
static unsigned char *seen;  // per function: already recorded
static uint64_t lo, hi;      // the patched region [lo, hi)
static unsigned char *orig;  // BINARY's bytes of [lo, hi)
static unsigned char *patched;
static FILE *out;

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static long find(uint64_t a) {
    size_t l = 0, r = naddrs;
    while (l < r) {
        size_t m = (l + r) / 2;
        if (addrs[m] == a) return (long)m;
        if (addrs[m] < a) l = m + 1; else r = m;
    }
    return -1;
}

static void read_binary(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); exit(2); }
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || eh.e_type != ET_EXEC) {
        fprintf(stderr, "order-trace: %s is not a non-PIE ELF executable\n", path);
        exit(2);
    }
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof ph, eh.e_phoff + (off_t)i * eh.e_phentsize) != sizeof ph) break;
        if (ph.p_type != PT_LOAD || lo < ph.p_vaddr || hi > ph.p_vaddr + ph.p_filesz) continue;
        orig = malloc(hi - lo);
        if (pread(fd, orig, hi - lo, (off_t)(ph.p_offset + lo - ph.p_vaddr)) != (ssize_t)(hi - lo)) break;
        close(fd);
        return;
    }
    fprintf(stderr, "order-trace: functions %#lx-%#lx are not in one loaded segment\n", lo, hi);
    exit(2);
}

static int mem_fd(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    return open(path, O_RDWR);
}

// After an exec: if the process now runs BINARY, put an int3 on every function not yet seen.
static void arm(pid_t pid) {
    int fd = mem_fd(pid);
    if (fd < 0) return;
    size_t n = hi - lo;
    unsigned char *now = malloc(n);
    if (pread(fd, now, n, (off_t)lo) == (ssize_t)n && memcmp(now, orig, n) == 0) {
        memcpy(patched, orig, n);
        for (size_t i = 0; i < naddrs; i++)
            if (!seen[i]) patched[addrs[i] - lo] = 0xcc;
        if (pwrite(fd, patched, n, (off_t)lo) != (ssize_t)n) perror("order-trace: arming");
    }
    free(now);
    close(fd);
}

// A SIGTRAP: if it is one of our int3s, record the function, restore its byte, resume it.
static int hit(pid_t pid) {
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0) return 0;
    uint64_t a = regs.rip - 1;
    long i = a >= lo && a < hi ? find(a) : -1;
    if (i < 0) return 0;
    int fd = mem_fd(pid);
    unsigned char byte = 0;
    if (fd < 0 || pread(fd, &byte, 1, (off_t)a) != 1 || byte != 0xcc) { if (fd >= 0) close(fd); return 0; }
    if (pwrite(fd, &orig[a - lo], 1, (off_t)a) != 1) perror("order-trace: restoring");
    close(fd);
    if (!seen[i]) { seen[i] = 1; fprintf(out, "%lx\n", a); }
    regs.rip = a;
    ptrace(PTRACE_SETREGS, pid, 0, &regs);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: order-trace BINARY ADDRESSES OUT CMD ARGS...\n"); return 2; }
    FILE *in = fopen(argv[2], "r");
    if (!in) { perror(argv[2]); return 2; }
    size_t cap = 1 << 16;
    addrs = malloc(cap * sizeof *addrs);
    unsigned long long v;
    while (fscanf(in, "%llx", &v) == 1) {
        if (naddrs == cap) addrs = realloc(addrs, (cap *= 2) * sizeof *addrs);
        addrs[naddrs++] = v;
    }
    fclose(in);
    if (naddrs == 0) { fprintf(stderr, "order-trace: no addresses\n"); return 2; }
    qsort(addrs, naddrs, sizeof *addrs, cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < naddrs; i++) if (k == 0 || addrs[i] != addrs[k - 1]) addrs[k++] = addrs[i];
    naddrs = k;
    seen = calloc(naddrs, 1);
    lo = addrs[0];
    hi = addrs[naddrs - 1] + 1;
    read_binary(argv[1]);
    patched = malloc(hi - lo);
    out = fopen(argv[3], "w");
    if (!out) { perror(argv[3]); return 2; }

    pid_t root = fork();
    if (root == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execvp(argv[4], argv + 4);
        _exit(127);
    }
    int status;
    if (waitpid(root, &status, 0) < 0 || !WIFSTOPPED(status)) return 2;
    ptrace(PTRACE_SETOPTIONS, root, 0,
           PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK);
    arm(root);
    ptrace(PTRACE_CONT, root, 0, 0);
    int rc = 0;
    for (;;) {
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) { if (errno == EINTR) continue; break; }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (pid == root) rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            continue;
        }
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status), event = status >> 16, deliver = 0;
        if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) arm(pid);
        else if (sig == SIGTRAP && event != 0) { /* fork, vfork, clone: the child is traced */ }
        else if (sig == SIGTRAP) { if (!hit(pid)) deliver = sig; }
        else if (sig == SIGSTOP) { /* a new tracee's first stop (or a real SIGSTOP: let it run) */ }
        else deliver = sig;
        ptrace(PTRACE_CONT, pid, 0, deliver);
    }
    fclose(out);
    size_t n = 0;
    for (size_t i = 0; i < naddrs; i++) n += seen[i];
    fprintf(stderr, "order-trace: %zu of %zu functions executed\n", n, naddrs);
    return rc;
}
