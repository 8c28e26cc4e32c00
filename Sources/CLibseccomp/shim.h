#ifndef PETREL_CLIBSECCOMP_SHIM_H
#define PETREL_CLIBSECCOMP_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <seccomp.h>

// The GNU build ID of the loaded object (executable or shared library) whose code holds
// `address`, read from its PT_NOTE segments in memory: part of the seccomp filter cache's
// key (Sources/PetrelRuntime/Linux/SeccompCacheKey.swift). /proc/self/exe cannot serve, as
// petrel runs from a fresh memfd or overlay each time (specs/protected-binary.md).
struct petrel_build_id_search {
    uintptr_t address;
    unsigned char *out;
    size_t capacity;
    size_t length;
    int found_object;
};

static inline int petrel_build_id_visit(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct petrel_build_id_search *search = (struct petrel_build_id_search *)data;
    int contains = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && search->address >= start && search->address < start + ph->p_memsz) contains = 1;
    }
    if (!contains) return 0;
    search->found_object = 1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            const ElfW(Nhdr) *note = (const ElfW(Nhdr) *)p;
            size_t name_size = (note->n_namesz + align - 1) & ~(align - 1);
            size_t desc_size = (note->n_descsz + align - 1) & ~(align - 1);
            if (name_size + desc_size > (size_t)(end - p) - sizeof(*note)) break;
            const unsigned char *name = p + sizeof(*note);
            const unsigned char *desc = name + name_size;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && memcmp(name, "GNU", 4) == 0
                && note->n_descsz > 0 && note->n_descsz <= search->capacity) {
                memcpy(search->out, desc, note->n_descsz);
                search->length = note->n_descsz;
                return 1;
            }
            p = desc + desc_size;
        }
    }
    return 1;
}

// The build ID's length (0: the object has none, or no loaded object holds `address`).
static inline size_t petrel_build_id(const void *address, unsigned char *out, size_t capacity) {
    struct petrel_build_id_search search = { (uintptr_t)address, out, capacity, 0, 0 };
    dl_iterate_phdr(petrel_build_id_visit, &search);
    return search.length;
}

// The build ID of this code (the executable petrel is linked into) and of libseccomp's
// (the same object when linked statically: then libseccomp_length is 0).
static inline size_t petrel_own_build_id(unsigned char *out, size_t capacity) {
    return petrel_build_id((const void *)petrel_own_build_id, out, capacity);
}
static inline size_t petrel_libseccomp_build_id(unsigned char *out, size_t capacity) {
    return petrel_build_id((const void *)seccomp_version, out, capacity);
}
#endif
