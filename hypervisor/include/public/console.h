/*
 * console.h - layout of the console page (HV_CONSOLE_PAGE).
 *
 * Two byte rings, as in Xen's xencons_interface.  Indices are free-running
 * 32-bit counters; the byte for index i is at ring[i % size].  Each side
 * writes only its own producer or consumer index, and must read the other
 * side's index once, then check prod - cons <= size before trusting it.
 *
 *   out: guest -> console.  The guest produces; hvcore consumes when the
 *        guest calls HC_console_io(CONSOLEIO_flush).
 *   in:  console -> guest.  hvcore produces and raises VIRQ_CONSOLE; the
 *        guest consumes (or calls HC_console_io(CONSOLEIO_read)).
 */
#ifndef HV_PUBLIC_CONSOLE_H
#define HV_PUBLIC_CONSOLE_H

#include "hvabi.h"

#define HV_CONSOLE_IN_SIZE   1024
#define HV_CONSOLE_OUT_SIZE  2048

struct hv_console_ring {
    char     in[HV_CONSOLE_IN_SIZE];
    char     out[HV_CONSOLE_OUT_SIZE];
    uint32_t in_cons, in_prod;
    uint32_t out_cons, out_prod;
};

#endif /* HV_PUBLIC_CONSOLE_H */
