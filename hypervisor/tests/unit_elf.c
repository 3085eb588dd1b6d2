/*
 * unit_elf.c - the kernel loader against valid and malformed ELF images.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "elf_load.h"
#include "public/errno.h"
#include "public/layout.h"

#define MEM_SIZE (4u << 20)

struct image {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[2];
    uint8_t code[64];
};

/* A minimal valid kernel: one RX segment at 1 MiB with 16 bytes of file
 * data and 4080 bytes of bss. */
static void make_image(struct image *im)
{
    memset(im, 0, sizeof(*im));
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_ident[EI_VERSION] = EV_CURRENT;
    im->eh.e_type = ET_EXEC;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = HV_KERNEL_MIN_ADDR;
    im->eh.e_phoff = offsetof(struct image, ph);
    im->eh.e_ehsize = sizeof(Elf64_Ehdr);
    im->eh.e_phentsize = sizeof(Elf64_Phdr);
    im->eh.e_phnum = 1;
    im->ph[0].p_type = PT_LOAD;
    im->ph[0].p_flags = PF_R | PF_X;
    im->ph[0].p_offset = offsetof(struct image, code);
    im->ph[0].p_vaddr = im->ph[0].p_paddr = HV_KERNEL_MIN_ADDR;
    im->ph[0].p_filesz = 16;
    im->ph[0].p_memsz = 4096;
    memset(im->code, 0x90, 16);
}

static uint8_t *mem;

static int setup(void **state)
{
    (void)state;
    mem = calloc(1, MEM_SIZE);
    return mem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

static int load(struct image *im, size_t size, char *err)
{
    struct elf_image out;
    return elf_load((const uint8_t *)im, size, mem, MEM_SIZE, &out, err, 256);
}

static void valid_image_loads(void **state)
{
    struct image im;
    struct elf_image out;
    char err[256] = "";

    (void)state;
    make_image(&im);
    memset(mem + HV_KERNEL_MIN_ADDR + 16, 0xaa, 64);   /* bss must be cleared */
    assert_int_equal(elf_load((const uint8_t *)&im, sizeof(im), mem, MEM_SIZE, &out,
                              err, sizeof(err)), 0);
    assert_int_equal(out.entry, HV_KERNEL_MIN_ADDR);
    assert_int_equal(out.end, HV_KERNEL_MIN_ADDR + 4096);
    assert_int_equal(mem[HV_KERNEL_MIN_ADDR], 0x90);
    assert_int_equal(mem[HV_KERNEL_MIN_ADDR + 16], 0);
}

static void expect_error(struct image *im, size_t size, const char *msg)
{
    char err[256] = "";

    memset(mem, 0, MEM_SIZE);
    assert_int_equal(load(im, size, err), -HVE_INVAL);
    assert_string_equal(err, msg);
    /* nothing may have been written */
    assert_int_equal(mem[HV_KERNEL_MIN_ADDR], 0);
}

static void rejects_malformed_headers(void **state)
{
    struct image im;

    (void)state;
    make_image(&im);
    expect_error(&im, 10, "not an ELF file");
    im.eh.e_ident[0] = 0;
    expect_error(&im, sizeof(im), "not an ELF file");
    make_image(&im);
    im.eh.e_ident[EI_CLASS] = ELFCLASS32;
    expect_error(&im, sizeof(im), "not a 64-bit ELF file");
    make_image(&im);
    im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    expect_error(&im, sizeof(im), "not a little-endian ELF file");
    make_image(&im);
    im.eh.e_machine = EM_AARCH64;
    expect_error(&im, sizeof(im), "not an x86-64 ELF file (e_machine 183)");
    make_image(&im);
    im.eh.e_type = ET_DYN;
    expect_error(&im, sizeof(im), "not an executable ELF file (e_type 3)");
    make_image(&im);
    im.eh.e_phentsize = 10;
    expect_error(&im, sizeof(im), "bad program header size 10");
    make_image(&im);
    im.eh.e_phnum = 0;
    expect_error(&im, sizeof(im), "bad program header count 0");
    make_image(&im);
    im.eh.e_phoff = UINT64_MAX - 8;
    expect_error(&im, sizeof(im), "program headers outside the file");
    make_image(&im);
    expect_error(&im, offsetof(struct image, ph) + 10, "program headers outside the file");
}

static void rejects_bad_segments(void **state)
{
    struct image im;

    (void)state;
    make_image(&im);
    im.ph[0].p_filesz = 8192;
    expect_error(&im, sizeof(im), "segment 0: file size exceeds memory size");
    make_image(&im);
    im.ph[0].p_offset = sizeof(im) - 4;
    expect_error(&im, sizeof(im), "segment 0: data outside the file");
    make_image(&im);
    im.ph[0].p_offset = UINT64_MAX;
    expect_error(&im, sizeof(im), "segment 0: data outside the file");
    make_image(&im);
    im.ph[0].p_vaddr = 0x1000;        /* into the hypervisor-private range */
    expect_error(&im, sizeof(im),
                 "segment 0: [0x1000, +0x1000) outside guest memory [0x100000, 0x400000)");
    make_image(&im);
    im.ph[0].p_memsz = MEM_SIZE;       /* runs past the end of RAM */
    expect_error(&im, sizeof(im),
                 "segment 0: [0x100000, +0x400000) outside guest memory [0x100000, 0x400000)");
    make_image(&im);
    im.ph[0].p_vaddr = UINT64_MAX - 100;   /* wraps around */
    im.eh.e_entry = im.ph[0].p_vaddr;
    im.ph[0].p_memsz = 4096;
    expect_error(&im, sizeof(im),
                 "segment 0: [0xffffffffffffff9b, +0x1000) outside guest memory [0x100000, 0x400000)");
    make_image(&im);
    im.ph[0].p_type = PT_NOTE;
    expect_error(&im, sizeof(im), "no loadable segment");
    make_image(&im);
    im.eh.e_entry = HV_KERNEL_MIN_ADDR + 8192;
    expect_error(&im, sizeof(im), "entry point 0x102000 is not in an executable segment");
    make_image(&im);
    im.ph[0].p_flags = PF_R | PF_W;
    expect_error(&im, sizeof(im), "entry point 0x100000 is not in an executable segment");
}

static void reports_unreadable_files(void **state)
{
    uint8_t *buf;
    size_t size;
    char err[256];

    (void)state;
    assert_int_equal(elf_read_file("/nonexistent/pvboot", &buf, &size, err, sizeof(err)),
                     -HVE_NOENT);
    assert_string_equal(err, "cannot open /nonexistent/pvboot: No such file or directory");
    assert_int_equal(elf_read_file("/", &buf, &size, err, sizeof(err)), -HVE_INVAL);
    assert_string_equal(err, "/ is not a regular file");
    assert_int_equal(elf_read_file("/dev/zero", &buf, &size, err, sizeof(err)), -HVE_INVAL);
    assert_string_equal(err, "/dev/zero is not a regular file");

    /* A FIFO nobody writes to: refused at once, not waited on in open(2)
     * (which would block forever; the alarm turns that into a failure). */
    char dir[] = "/tmp/unit-elf.XXXXXX", fifo[64];
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof(fifo), "%s/kernel", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(60);
    int rc = elf_read_file(fifo, &buf, &size, err, sizeof(err));
    alarm(0);
    unlink(fifo);
    rmdir(dir);
    assert_int_equal(rc, -HVE_INVAL);
    char want[128];
    snprintf(want, sizeof(want), "%s is not a regular file", fifo);
    assert_string_equal(err, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(valid_image_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_malformed_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(rejects_bad_segments, setup, teardown),
        cmocka_unit_test(reports_unreadable_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
