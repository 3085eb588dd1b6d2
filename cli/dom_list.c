/*
 * dom_list.c - the rows a back end lists, kept in the order `list` shows
 * them: running domains by domid, then the shut-off ones by name.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

void dom_list_free(struct dom_list *l)
{
    free(l->rows);
    l->rows = NULL;
    l->n = 0;
}

struct hv_fields *dom_list_add(struct dom_list *l)
{
    struct hv_fields *rows = realloc(l->rows, (l->n + 1) * sizeof(*rows));

    if (!rows)
        return NULL;
    l->rows = rows;
    fields_init(&rows[l->n]);
    return &rows[l->n++];
}

/* What hv_domain_list_filtered keeps (hvctl.h). */
static bool row_matches(const struct hv_fields *f, unsigned flags,
                        const char *name_glob)
{
    unsigned states = flags & (HV_LIST_ACTIVE | HV_LIST_SHUTOFF);

    if (!states)
        states = HV_LIST_ACTIVE;
    if (!(states & HV_LIST_STATE(f->state)))
        return false;
    if ((flags & HV_LIST_PERSISTENT) && f->persistent != 1)
        return false;
    if ((flags & HV_LIST_TRANSIENT) && f->persistent != 0)
        return false;
    return !name_glob || fnmatch(name_glob, f->name, 0) == 0;
}

static int row_order(const void *a, const void *b)
{
    const struct hv_fields *x = a, *y = b;
    bool xr = x->domid != HV_DOMID_NONE, yr = y->domid != HV_DOMID_NONE;

    if (xr != yr)
        return xr ? -1 : 1;
    if (xr && x->domid != y->domid)
        return x->domid < y->domid ? -1 : 1;
    return strcmp(x->name, y->name);
}

void dom_list_filter(struct dom_list *l, unsigned flags, const char *name_glob)
{
    size_t keep = 0;

    for (size_t i = 0; i < l->n; i++)
        if (row_matches(&l->rows[i], flags, name_glob))
            l->rows[keep++] = l->rows[i];
    l->n = keep;
    if (l->n)
        qsort(l->rows, l->n, sizeof(l->rows[0]), row_order);
}
