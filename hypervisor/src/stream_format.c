/*
 * stream_format.c - rules of the domain stream shared by its reader and
 * writer (stream_format.h).
 */
#include <stdio.h>

#include "stream_format.h"

const char *stream_rec_name(uint32_t type)
{
    static const char *const names[] = {
        [HV_REC_DOMAIN] = "DOMAIN",   [HV_REC_KERNEL] = "KERNEL",
        [HV_REC_PAGES] = "PAGES",     [HV_REC_MEMORY_IMAGE] = "MEMORY_IMAGE",
        [HV_REC_BALLOON] = "BALLOON", [HV_REC_VCPU] = "VCPU",
        [HV_REC_EVTCHN] = "EVTCHN",   [HV_REC_TIME] = "TIME",
        [HV_REC_CONSOLE] = "CONSOLE", [HV_REC_END] = "END",
        [HV_REC_TOOLSTACK] = "TOOLSTACK", [HV_REC_RUNSTATE] = "RUNSTATE",
    };

    return type < sizeof(names) / sizeof(names[0]) ? names[type] : NULL;
}

bool stream_page_entry_ok(uint64_t entry, uint64_t nr_pages, char *why, size_t whylen)
{
    uint64_t pfn = HV_PAGE_ENTRY_PFN(entry);
    uint64_t type = HV_PAGE_ENTRY_TYPE(entry);

    if (entry & STREAM_PAGE_ENTRY_RSVD) {
        snprintf(why, whylen, "entry %#llx has reserved bits 52..59 set",
                 (unsigned long long)entry);
        return false;
    }
    if (type != HV_PAGE_NORMAL && type != HV_PAGE_ZERO) {
        snprintf(why, whylen, "page %#llx has unknown page type %llu",
                 (unsigned long long)pfn, (unsigned long long)type);
        return false;
    }
    if (pfn == 0) {
        snprintf(why, whylen, "page 0x0 never travels (it is not mapped)");
        return false;
    }
    if (pfn < STREAM_FIRST_PFN) {
        snprintf(why, whylen,
                 "page %#llx is hypervisor-private (the receiver builds pages 0x1..%#llx itself)",
                 (unsigned long long)pfn, (unsigned long long)STREAM_FIRST_PFN - 1);
        return false;
    }
    if (pfn >= nr_pages) {
        snprintf(why, whylen, "page %#llx is outside guest RAM (%#llx pages)",
                 (unsigned long long)pfn, (unsigned long long)nr_pages);
        return false;
    }
    return true;
}
