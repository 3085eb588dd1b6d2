/*
 * xml_util.h - libxml2 plumbing for libhvctl: silence its default error
 * printing and collect the first message instead, per call and per thread.
 */
#ifndef HVCTL_XML_UTIL_H
#define HVCTL_XML_UTIL_H

#include <stdbool.h>

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

/*
 * The tree walk's vocabulary, for config_xml.c and device_xml.c.  src
 * names the text in messages ("web.xml:7: element <foo>: cause").
 */
int xmlu_line(xmlNodePtr n);
int xmlu_elem_err(const char *src, xmlNodePtr n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Only the attributes listed (NULL-terminated) may appear on n. */
int xmlu_check_attrs(const char *src, xmlNodePtr n, const char *const *ok);
/* An attribute without namespace, or NULL; xmlFree it. */
char *xmlu_attr(xmlNodePtr n, const char *name);

/*
 * The children of one container element: each known name at most once,
 * required ones present, nothing else but blanks and comments.  hint (may
 * be NULL) adds to "unknown element" what the user may have meant.
 */
struct xmlu_child {
    const char *name;
    bool required;
    xmlNodePtr node;            /* filled by xmlu_children */
};
int xmlu_children(const char *src, xmlNodePtr parent, struct xmlu_child *spec,
                  size_t nspec, const char *(*hint)(xmlNodePtr parent,
                                                    xmlNodePtr c));

/* The compiled schema/domain.rng, validated under a lock.  0 or -1.
 * Its start is a <domain>, or one <disk> or <interface> (hv_device). */
int xmlu_validate_domain(xmlDocPtr doc, struct xml_errs *errs);

/*
 * One config or device text, read the one way both are read: at most
 * HV_CONFIG_SIZE_MAX bytes, well-formed, no DOCTYPE, a root element.  0
 * with d->doc set, or an HV_E* code with the message set ("src:line:
 * cause").  libxml2 stays silent until xmlu_doc_close, which the caller
 * calls whatever xmlu_doc_read returned.
 */
struct xmlu_doc {
    const char *src;
    xmlDocPtr doc;
    struct xml_errs errs;
    struct xmlu_quiet quiet;
    bool quiet_on;
    xmlParserCtxtPtr ctxt;
};
int xmlu_doc_read(struct xmlu_doc *d, const char *text, size_t len,
                  const char *src);
/* xmlu_validate_domain on d->doc, its failure as an HV_ECONFIG message. */
int xmlu_doc_validate(struct xmlu_doc *d);
void xmlu_doc_close(struct xmlu_doc *d);

/*
 * doc as text, indented, without an XML declaration: all of it, or with
 * node only that element and what it holds; either ends in a newline.
 * NULL when out of memory.  Call it between xmlu_quiet_begin and _end.
 */
char *xmlu_doc_text(xmlDocPtr doc, xmlNodePtr node);

#endif /* HVCTL_XML_UTIL_H */
