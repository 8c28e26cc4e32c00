#include "executor_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

size_t pe_strlen(const char *s) {
    size_t n = 0;
    if (s) while (s[n]) n++;
    return n;
}

size_t pe_strlcpy(char *dst, const char *src, size_t size) {
    size_t n = 0;
    if (size == 0) return pe_strlen(src);
    if (src) {
        for (; src[n] && n + 1 < size; n++) dst[n] = src[n];
    }
    dst[n] = 0;
    return n;
}

bool pe_streq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

bool pe_append(char *dst, size_t size, const char *src) {
    size_t used = pe_strlen(dst);
    size_t add = pe_strlen(src);
    if (used + add + 1 > size) return false;
    for (size_t i = 0; i < add; i++) dst[used + i] = src[i];
    dst[used + add] = 0;
    return true;
}

void pe_format_int(char *dst, size_t size, long long value) {
    char digits[24];
    int n = 0;
    unsigned long long magnitude = value < 0 ? (unsigned long long)(-(value + 1)) + 1 : (unsigned long long)value;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude && n < (int)sizeof(digits));
    size_t pos = 0;
    if (value < 0 && pos + 1 < size) dst[pos++] = '-';
    while (n > 0 && pos + 1 < size) dst[pos++] = digits[--n];
    if (size) dst[pos] = 0;
}

int pe_fail(petrel_error *error, int err, const char *step, const char *syscall, const char *path, const char *detail) {
    error->err = err;
    pe_strlcpy(error->step, step ? step : "", sizeof(error->step));
    pe_strlcpy(error->syscall, syscall ? syscall : "", sizeof(error->syscall));
    pe_strlcpy(error->path, path ? path : "", sizeof(error->path));
    pe_strlcpy(error->detail, detail ? detail : "", sizeof(error->detail));
    return -1;
}

int pe_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void pe_error_line(const petrel_error *error, char *line, size_t size) {
    line[0] = 0;
    if (pe_streq(error->step, "exec") && pe_streq(error->syscall, "execve")) {
        pe_append(line, size, "exec ");
        pe_append(line, size, error->path);
    } else {
        pe_append(line, size, error->step);
        if (error->syscall[0]) {
            pe_append(line, size, ": ");
            pe_append(line, size, error->syscall);
        }
        if (error->path[0]) {
            pe_append(line, size, " ");
            pe_append(line, size, error->path);
        }
        if (error->detail[0]) {
            pe_append(line, size, " (");
            pe_append(line, size, error->detail);
            pe_append(line, size, ")");
        }
    }
    if (error->err != 0) {
        pe_append(line, size, ": ");
        // strerrordesc_np: the untranslated table entry, no locale and no allocation.
        const char *text = strerrordesc_np(error->err);
        size_t start = pe_strlen(line);
        if (text) {
            pe_append(line, size, text);
            // Go prints "no such file or directory"; glibc capitalises the first word.
            if (line[start] >= 'A' && line[start] <= 'Z' && line[start + 1] >= 'a' && line[start + 1] <= 'z') line[start] += 'a' - 'A';
        } else {
            char number[16];
            pe_format_int(number, sizeof(number), error->err);
            pe_append(line, size, "errno ");
            pe_append(line, size, number);
        }
    }
    if (!pe_append(line, size, "\n") && size >= 2) {
        line[size - 2] = '\n';
        line[size - 1] = 0;
    }
}
