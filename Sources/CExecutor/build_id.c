#include "petrel_build_id.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

struct petrel_build_id_search {
    uintptr_t address;
    unsigned char *out;
    size_t capacity;
    size_t length;
    int found_object;
};

static int petrel_build_id_visit(struct dl_phdr_info *info, size_t size, void *data) {
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

size_t petrel_build_id(const void *address, unsigned char *out, size_t capacity) {
    struct petrel_build_id_search search = { (uintptr_t)address, out, capacity, 0, 0 };
    dl_iterate_phdr(petrel_build_id_visit, &search);
    return search.length;
}

size_t petrel_own_build_id(unsigned char *out, size_t capacity) {
    return petrel_build_id((const void *)petrel_own_build_id, out, capacity);
}
