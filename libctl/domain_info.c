/*
 * domain_info.c - every hv_domain_info_get_* getter, one per row of the
 * domain field table (domain_fields.h).
 */
#include "domain_int.h"

/* What a getter returns for each kind of field, and for a NULL info. */
#define GETTER_TYPE_FK_DOMID(t)  t
#define GETTER_TYPE_FK_STR(t)    const char *
#define GETTER_TYPE_FK_STATE(t)  t
#define GETTER_TYPE_FK_REASON(t) t
#define GETTER_TYPE_FK_TRI(t)    t
#define GETTER_TYPE_FK_BOOL(t)   int
#define GETTER_TYPE_FK_DEF(t)    t
#define GETTER_TYPE_FK_RUN(t)    t
#define NO_INFO_FK_DOMID  0
#define NO_INFO_FK_STR    NULL
#define NO_INFO_FK_STATE  0
#define NO_INFO_FK_REASON HV_REASON_UNKNOWN
#define NO_INFO_FK_TRI    -1
#define NO_INFO_FK_BOOL   0
#define NO_INFO_FK_DEF    0
#define NO_INFO_FK_RUN    0

#define GETTER(getter, member, ctype, kind, json, label)                     \
    HV_EXPORT GETTER_TYPE_##kind(ctype)                                      \
    hv_domain_info_get_##getter(const hv_domain_info *info)                  \
    {                                                                        \
        return info ? (GETTER_TYPE_##kind(ctype))info->member                \
                    : NO_INFO_##kind;                                        \
    }

HV_DOMAIN_FIELDS(GETTER)
