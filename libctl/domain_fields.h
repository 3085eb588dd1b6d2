/*
 * domain_fields.h - the one table of what is known about a domain.
 *
 * Every field of hv_domain_info is a row here, and everything that shows
 * or carries one is made from the rows: the hv_domain_info struct's
 * members, the hvctl.h getters (a test checks each is declared), the
 * domain JSON of hvctld's REST API (written by the agent, read by
 * libhvctl's agent driver: domain_fields.c), the OpenAPI schema check,
 * and the columns of `hvctl list --json` and `hvctl info`.  A field added
 * here is added everywhere; before this table the same fields were copied
 * by hand in about twelve places (issue 9).
 *
 * Shared by libhvctl (hidden), hvctld and hvctl; not installed.
 *
 * X(getter, member, ctype, kind, json, label)
 *   getter  hv_domain_info_get_<getter>
 *   member  the member in struct hv_fields (and struct hv_domain_info)
 *   kind    how it reads and writes (enum field_kind)
 *   json    its key in the REST domain object
 *   label   its label in `hvctl info`
 */
#ifndef HVCTL_DOMAIN_FIELDS_H
#define HVCTL_DOMAIN_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "hvctl.h"

enum field_kind {
    FK_DOMID,       /* uint32_t; null when HV_DOMID_NONE                   */
    FK_STR,         /* char[64] name or char[37] uuid; "" is null          */
    FK_STATE,       /* int, enum hv_state, as hv_state_name()              */
    FK_REASON,      /* int, enum hv_reason, as hv_reason_name()            */
    FK_TRI,         /* int 1/0/-1 as true/false/null                       */
    FK_BOOL,        /* bool                                                */
    FK_DEF,         /* a number a definition knows too; 0 is null          */
    FK_RUN,         /* a number only hvcore knows: null unless
                       figures_known                                       */
};

#define HV_DOMAIN_FIELDS(X)                                                  \
    X(id,              domid,           uint32_t, FK_DOMID,  "id",          "Id")        \
    X(name,            name,            char,     FK_STR,    "name",        "Name")      \
    X(uuid,            uuid,            char,     FK_STR,    "uuid",        "UUID")      \
    X(state,           state,           int,      FK_STATE,  "state",       "State")     \
    X(reason,          reason,          int,      FK_REASON, "reason",      "Reason")    \
    X(persistent,      persistent,      int,      FK_TRI,    "persistent",  "Persistent") \
    X(autostart,       autostart,       int,      FK_TRI,    "autostart",   "Autostart") \
    X(vcpus_online,    vcpus_online,    unsigned, FK_RUN,    "vcpus_online", "vCPUs online") \
    X(vcpus_max,       vcpus_max,       unsigned, FK_DEF,    "vcpus_max",   "vCPUs max") \
    X(mem_current_kib, mem_current_kib, uint64_t, FK_RUN,    "memory_current_kib", "Memory") \
    X(mem_target_kib,  mem_target_kib,  uint64_t, FK_DEF,    "memory_target_kib",  "Memory target") \
    X(mem_max_kib,     mem_max_kib,     uint64_t, FK_DEF,    "memory_max_kib",     "Memory max") \
    X(cpu_time_ns,     cpu_time_ns,     uint64_t, FK_RUN,    "cpu_time_ns", "CPU time")  \
    X(uptime_ns,       uptime_ns,       uint64_t, FK_RUN,    "uptime_ns",   "Uptime")    \
    X(boot_count,      boot_count,      unsigned, FK_RUN,    "boot_count",  "Boots")     \
    X(pid,             pid,             int,      FK_RUN,    "pid",         "hvcore pid") \
    X(exits,           exits,           uint64_t, FK_RUN,    "exits",       "Exits")     \
    X(events,          events,          uint64_t, FK_RUN,    "events",      "Events")    \
    X(figures_known,   figures_known,   bool,     FK_BOOL,   "figures_known", "Figures known")

/* The members, made from the table: FIELD_MEMBER(X-args...) declares one. */
#define FIELD_MEMBER(getter, member, ctype, kind, json, label)               \
    FIELD_MEMBER_##kind(member, ctype)
#define FIELD_MEMBER_FK_DOMID(m, t)  t m;
#define FIELD_MEMBER_FK_STR(m, t)    t m[64];
#define FIELD_MEMBER_FK_STATE(m, t)  t m;
#define FIELD_MEMBER_FK_REASON(m, t) t m;
#define FIELD_MEMBER_FK_TRI(m, t)    t m;
#define FIELD_MEMBER_FK_BOOL(m, t)   t m;
#define FIELD_MEMBER_FK_DEF(m, t)    t m;
#define FIELD_MEMBER_FK_RUN(m, t)    t m;
#define HV_DOMAIN_FIELD_MEMBERS HV_DOMAIN_FIELDS(FIELD_MEMBER)

/*
 * What hv_domain_info holds, as a plain struct for the agent and the CLI
 * (libhvctl's struct hv_domain_info has the same members, from the same
 * macro).
 */
struct hv_fields {
    HV_DOMAIN_FIELD_MEMBERS
};

/* Read every field of info through its public getter. */
void fields_from_info(struct hv_fields *out, const hv_domain_info *info);
/* A new json-c object with every field under its key (NULL: no memory). */
json_object *fields_to_json(const struct hv_fields *f);
/*
 * Fill f from a domain object; keys not there keep f's values, so old
 * agents' replies still read.  0, or -1 with the offending key in
 * err[len] ("\"state\": not a domain state").
 */
int fields_from_json(struct hv_fields *f, json_object *o, char *err,
                     size_t len);
/* Defaults: HV_DOMID_NONE, unknown persistence and autostart. */
void fields_init(struct hv_fields *f);

#endif /* HVCTL_DOMAIN_FIELDS_H */
