/*
 * fuzz_virtq.c - libFuzzer harness for the back ends' descriptor parsing
 * (backends/virtq.c, backends/vu_mem.c): the input is a guest's memory
 * with a split virtqueue in it, as hvblk and hvnet see one.
 *
 * Input: byte 0 the queue size (1 << (b & 7), 1 to 128), byte 1 the
 * negotiated features (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), bytes 2-3
 * the starting index; the rest is guest memory from guest-physical
 * FZ_GPA: descriptor table at +0, available ring at +0x1000, used ring at
 * +0x2000, anything else after.  Memory is three regions: two adjacent
 * ones (buffers split across them) and one apart, with a hole between.
 *
 * Checked besides crashes and sanitizer errors: every buffer of every
 * request lies inside a region (never outside the guest); the lengths add
 * up; a request has at most VIRTQ_MAX_SEGS buffers; a refusal breaks the
 * queue for good with one non-empty line saying why; the parser never
 * takes more requests than the guest made available.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "../../backends/virtq.h"
#include "../../backends/vu_mem.h"

#define FZ_GPA   0x100000ull
#define FZ_HALF  0x8000u            /* two adjacent regions of 32 KiB      */
#define FZ_APART 0x200000ull        /* a third region of 4 KiB, apart      */
#define FZ_APART_SIZE 0x1000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ram[2 * FZ_HALF] __attribute__((aligned(4096)));
static uint8_t apart[FZ_APART_SIZE] __attribute__((aligned(4096)));
static struct virtq_elem elem;

static int inside(const void *p, size_t len)
{
    const uint8_t *b = p;

    return (b >= ram && len <= sizeof(ram) && b - ram <= (ptrdiff_t)(sizeof(ram) - len)) ||
           (b >= apart && len <= sizeof(apart) &&
            b - apart <= (ptrdiff_t)(sizeof(apart) - len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vu_mem mem = { 0 };
    struct virtq vq;
    unsigned num;
    uint16_t base, avail_idx;
    bool event_idx, indirect;
    int taken = 0;

    if (size < 4)
        return 0;
    num = 1u << (data[0] & 7);
    event_idx = data[1] & 1;
    indirect = data[1] & 2;
    base = (uint16_t)(data[2] | data[3] << 8);
    memset(ram, 0, sizeof(ram));
    memset(apart, 0, sizeof(apart));
    size -= 4;
    memcpy(ram, data + 4, size < sizeof(ram) ? size : sizeof(ram));
    if (size > sizeof(ram))
        memcpy(apart, data + 4 + sizeof(ram),
               size - sizeof(ram) < sizeof(apart) ? size - sizeof(ram) : sizeof(apart));
    CHECK(vu_mem_add(&mem, FZ_GPA, 0x7f0000000000ull, FZ_HALF, ram) == 0, "region 0");
    CHECK(vu_mem_add(&mem, FZ_GPA + FZ_HALF, 0x7f0000100000ull, FZ_HALF, ram + FZ_HALF) == 0,
          "region 1");
    CHECK(vu_mem_add(&mem, FZ_APART, 0x7f0000200000ull, FZ_APART_SIZE, apart) == 0, "region 2");
    CHECK(virtq_init(&vq, 0, num, ram, ram + 0x1000, ram + 0x2000, &mem, base, event_idx,
                     indirect) == 0, "init: %s", vq.error);
    avail_idx = ((struct virtq_avail *)(ram + 0x1000))->idx;

    for (unsigned round = 0; round < 2 * num + 2; round++) {
        int rc = virtq_pop(&vq, &elem);
        uint64_t out = 0, in = 0;

        if (rc == 0)
            break;
        if (rc < 0) {
            CHECK(vq.broken && vq.error[0] && !strchr(vq.error, '\n'), "refusal '%s'",
                  vq.error);
            CHECK(virtq_pop(&vq, &elem) == -1 && !virtq_has_avail(&vq), "broken queue works");
            break;
        }
        taken++;
        CHECK(taken <= (uint16_t)(avail_idx - base), "took %d of %u", taken,
              (uint16_t)(avail_idx - base));
        CHECK(elem.head < num, "head %u", elem.head);
        CHECK(elem.n_out + elem.n_in <= VIRTQ_MAX_SEGS, "%u buffers", elem.n_out + elem.n_in);
        for (unsigned i = 0; i < elem.n_out + elem.n_in; i++) {
            CHECK(inside(elem.iov[i].iov_base, elem.iov[i].iov_len), "buffer %u outside", i);
            *(i < elem.n_out ? &out : &in) += elem.iov[i].iov_len;
        }
        CHECK(out == elem.out_len && in == elem.in_len, "lengths %llu/%llu vs %llu/%llu",
              (unsigned long long)out, (unsigned long long)in,
              (unsigned long long)elem.out_len, (unsigned long long)elem.in_len);
        /* Touch every byte as a device would: the sanitizers see it. */
        for (unsigned i = 0; i < elem.n_out + elem.n_in; i++)
            if (elem.iov[i].iov_len)
                ((volatile uint8_t *)elem.iov[i].iov_base)[elem.iov[i].iov_len - 1] ^= 0;
        if (round & 1)
            virtq_unpop(&vq), taken--; /* taken again next round */
        else
            virtq_push(&vq, elem.head, (uint32_t)in);
        if (round % 4 == 2)
            (void)virtq_flush(&vq);
        (void)virtq_notify(&vq, round & 2);
    }
    (void)virtq_flush(&vq);
    return 0;
}
