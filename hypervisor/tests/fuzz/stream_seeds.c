/*
 * stream_seeds.c - writes fuzz_stream's seed corpus (tests/fuzz/corpus/
 * stream) with the unit tests' stream builder (tests/stream_builder.c):
 * small valid streams of each kind, so that the fuzzer starts past the
 * checksum.  Not built by make; from hypervisor/:
 *   cc -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -Itests tests/fuzz/stream_seeds.c \
 *      tests/stream_builder.c -lxxhash -o /tmp/stream_seeds &&
 *   /tmp/stream_seeds tests/fuzz/corpus/stream
 */
#include <stdio.h>
#include <string.h>

#include "public/shared_info.h"
#include "stream_builder.h"

static int save(const char *dir, const char *name, const struct sb *sb, size_t len)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(sb->out, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

/* One vCPU, one small batch (or the image), a 40-byte kernel. */
static int small(struct sb *sb, enum sb_kind kind)
{
    struct hv_rec_domain *d;
    struct hv_rec_evtchn *ev;
    int i;

    if (sb_default(sb, kind) < 0)
        return -1;
    d = sb_body(sb, HV_REC_DOMAIN, 0);
    d->max_vcpus = 1;
    sb_remove(sb, sb_find(sb, HV_REC_VCPU, 0));     /* vCPU 1 */
    ev = sb_body(sb, HV_REC_EVTCHN, 0);
    memset(&ev->port[2], 0, sizeof(ev->port[2]));
    memset(&ev->port[4], 0, sizeof(ev->port[4]));
    memset(&ev->port[7], 0, sizeof(ev->port[7]));
    sb->rec[sb_find(sb, HV_REC_KERNEL, 0)].len = 40;
    if (kind == SB_FILE)
        return 0;
    while ((i = sb_find(sb, HV_REC_PAGES, 0)) >= 0)
        sb_remove(sb, i);
    int at = sb_find(sb, HV_REC_BALLOON, 0);
    uint64_t e[] = { HV_PAGE_ENTRY(0x100, HV_PAGE_NORMAL), HV_PAGE_ENTRY(0x101, HV_PAGE_ZERO),
                     HV_PAGE_ENTRY(0x18, HV_PAGE_ZERO) };
    if (sb_pages(sb, at, kind == SB_LIVE ? HV_REC_F_DATA_UNHASHED : 0, e, 3) < 0)
        return -1;
    if (kind == SB_LIVE) {
        uint64_t again[] = { HV_PAGE_ENTRY(0x100, HV_PAGE_ZERO) };
        if (sb_pages(sb, at + 1, 0, again, 1) < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sb sb;
    int ret = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: stream_seeds DIR\n");
        return 2;
    }
    if (small(&sb, SB_PLAIN) < 0 || sb_serialize(&sb) < 0 ||
        save(argv[1], "plain", &sb, sb.out_len) < 0)
        ret = 1;
    sb_free(&sb);
    if (small(&sb, SB_LIVE) < 0 || sb_serialize(&sb) < 0 ||
        save(argv[1], "live", &sb, sb.out_len) < 0)
        ret = 1;
    sb_free(&sb);
    /* A save file's first 8 KiB: its records up to the image's first
     * page (the whole image would be megabytes). */
    if (small(&sb, SB_FILE) < 0 || sb_serialize(&sb) < 0 ||
        save(argv[1], "file-head", &sb,
             (size_t)(sb.rec[sb_find(&sb, HV_REC_MEMORY_IMAGE, 0)].off + 8192)) < 0)
        ret = 1;
    sb_free(&sb);
    return ret;
}
