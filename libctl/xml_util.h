/*
 * xml_util.h - libxml2 plumbing for libhvctl: silence its default error
 * printing and collect the first message instead, per call and per thread.
 */
#ifndef HVCTL_XML_UTIL_H
#define HVCTL_XML_UTIL_H

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

struct xml_errs {
    int line;           /* line of the first error, 0 if unknown */
    char *elem;         /* element it names, if any (malloc'ed)  */
    char msg[256];      /* first message, without newline        */
    int count;
};

/* Initialise libxml2 once per process. */
void xmlu_init(void);

/*
 * Route libxml2's generic (unstructured) error output of this thread to a
 * no-op until xmlu_quiet_end, so nothing reaches stderr.
 */
struct xmlu_quiet { xmlGenericErrorFunc fn; void *ctx; };
void xmlu_quiet_begin(struct xmlu_quiet *q);
void xmlu_quiet_end(const struct xmlu_quiet *q);

/* A structured error handler collecting into a struct xml_errs. */
void xmlu_collect(void *data, xmlErrorPtr err);
void xmlu_errs_free(struct xml_errs *e);

/* The compiled schema/domain.rng, validated under a lock.  0 or -1. */
int xmlu_validate_domain(xmlDocPtr doc, struct xml_errs *errs);

#endif /* HVCTL_XML_UTIL_H */
