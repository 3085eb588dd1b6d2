/*
 * xml_util.c - libxml2 set-up shared by the XML parsers (config and device)
 * and formatters: reading a text into a document, RelaxNG validation
 * against the schema compiled into the library, the tree walk's helpers.
 *
 * libxml2 prints errors to stderr unless told otherwise, and a library must
 * never print: every libxml2 call of ours runs with a structured handler
 * on its context (per call) and a silent generic handler (per thread,
 * restored afterwards so an application that uses libxml2 keeps its own).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>

#include "internal.h"
#include "xml_util.h"

extern const char cfg_domain_rng[];     /* generated: domain_rng.c */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static xmlRelaxNGPtr schema;            /* compiled on first use */
static int schema_failed;

static void do_init(void)
{
    xmlInitParser();
}

void xmlu_init(void)
{
    pthread_once(&init_once, do_init);
}

static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void xmlu_quiet_begin(struct xmlu_quiet *q)
{
    q->fn = xmlGenericError;
    q->ctx = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, silent);
}

void xmlu_quiet_end(const struct xmlu_quiet *q)
{
    xmlSetGenericErrorFunc(q->ctx, q->fn);
}

void xmlu_collect(void *data, xmlErrorPtr err)
{
    struct xml_errs *e = data;
    size_t n;

    if (!e || !err || err->level == XML_ERR_WARNING)
        return;
    if (e->count++)
        return;                 /* the first error is the one that matters */
    e->line = err->line;
    if (err->node) {
        xmlNodePtr node = err->node;
        if (node->line > 0)
            e->line = node->line;
        if (node->type == XML_ELEMENT_NODE && node->name)
            e->elem = strdup((const char *)node->name);
    }
    snprintf(e->msg, sizeof(e->msg), "%s",
             err->message ? err->message : "unknown XML error");
    n = strlen(e->msg);
    while (n > 0 && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
        e->msg[--n] = '\0';
}

void xmlu_errs_free(struct xml_errs *e)
{
    free(e->elem);
    e->elem = NULL;
}

/* Called with schema_lock held. */
static int load_schema(void)
{
    xmlRelaxNGParserCtxtPtr pctxt;
    struct xml_errs errs = { 0 };

    if (schema || schema_failed)
        return schema ? 0 : -1;
    pctxt = xmlRelaxNGNewMemParserCtxt(cfg_domain_rng,
                                       (int)strlen(cfg_domain_rng));
    if (pctxt) {
        xmlRelaxNGSetParserStructuredErrors(pctxt, xmlu_collect, &errs);
        schema = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
    }
    xmlu_errs_free(&errs);
    if (!schema)
        schema_failed = 1;
    return schema ? 0 : -1;
}

/*
 * One compiled schema for the process; validation runs under a lock since
 * libxml2 does not promise that a shared xmlRelaxNG is safe to validate
 * against from several threads, and configs are not parsed in hot paths.
 */
int xmlu_validate_domain(xmlDocPtr doc, struct xml_errs *errs)
{
    xmlRelaxNGValidCtxtPtr vctxt;
    int rc = -1;

    xmlu_init();
    pthread_mutex_lock(&schema_lock);
    if (load_schema() < 0) {
        snprintf(errs->msg, sizeof(errs->msg),
                 "the built-in schema failed to compile");
        errs->count = 1;
        goto out;
    }
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    if (!vctxt) {
        snprintf(errs->msg, sizeof(errs->msg), "out of memory");
        errs->count = 1;
        goto out;
    }
    xmlRelaxNGSetValidStructuredErrors(vctxt, xmlu_collect, errs);
    rc = xmlRelaxNGValidateDoc(vctxt, doc) == 0 ? 0 : -1;
    if (rc < 0 && errs->count == 0) {
        snprintf(errs->msg, sizeof(errs->msg), "does not match the schema");
        errs->count = 1;
    }
    xmlRelaxNGFreeValidCtxt(vctxt);
out:
    pthread_mutex_unlock(&schema_lock);
    return rc;
}

static void collect_parser_error(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;

    xmlu_collect(ctxt ? ctxt->_private : NULL, err);
}

static int xml_errs_to_hv(const char *src, struct xml_errs *e)
{
    if (e->elem)
        return err_set(HV_ECONFIG, "%s:%d: element <%s>: %s", src, e->line,
                       e->elem, e->msg);
    if (e->line > 0)
        return err_set(HV_ECONFIG, "%s:%d: %s", src, e->line, e->msg);
    return err_set(HV_ECONFIG, "%s: %s", src, e->msg);
}

int xmlu_doc_read(struct xmlu_doc *d, const char *text, size_t len,
                  const char *src)
{
    *d = (struct xmlu_doc){ .src = src };
    if (!text)
        return err_set(HV_EINVAL, "%s: no text", src);
    if (len > HV_CONFIG_SIZE_MAX)
        return err_set(HV_ECONFIG, "%s: %zu bytes is more than the limit of "
                       "%d bytes", src, len, HV_CONFIG_SIZE_MAX);
    xmlu_init();
    xmlu_quiet_begin(&d->quiet);
    d->quiet_on = true;
    d->ctxt = xmlNewParserCtxt();
    if (!d->ctxt)
        return err_set(HV_ENOMEM, "%s: out of memory", src);
    /* SAX callbacks get ctxt->userData, which must stay the context. */
    d->ctxt->sax->serror = collect_parser_error;
    d->ctxt->_private = &d->errs;
    /* No network, no entity expansion, no DTD loading: configs are data. */
    d->doc = xmlCtxtReadMemory(d->ctxt, text, (int)len, src, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOCDATA);
    if (!d->doc || d->errs.count || !d->ctxt->wellFormed) {
        if (!d->errs.count)
            snprintf(d->errs.msg, sizeof(d->errs.msg), "not well-formed XML");
        return xml_errs_to_hv(src, &d->errs);
    }
    if (d->doc->intSubset || d->doc->extSubset)
        return err_set(HV_ECONFIG, "%s: a DOCTYPE is not allowed", src);
    if (!xmlDocGetRootElement(d->doc))
        return err_set(HV_ECONFIG, "%s: no root element", src);
    return 0;
}

int xmlu_doc_validate(struct xmlu_doc *d)
{
    if (xmlu_validate_domain(d->doc, &d->errs) < 0)
        return xml_errs_to_hv(d->src, &d->errs);
    return 0;
}

void xmlu_doc_close(struct xmlu_doc *d)
{
    xmlu_errs_free(&d->errs);
    xmlFreeDoc(d->doc);
    d->doc = NULL;
    if (d->ctxt)
        xmlFreeParserCtxt(d->ctxt);
    d->ctxt = NULL;
    if (d->quiet_on)
        xmlu_quiet_end(&d->quiet);
    d->quiet_on = false;
}

char *xmlu_doc_text(xmlDocPtr doc, xmlNodePtr node)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save = NULL;
    const char *content;
    char *text = NULL;
    long n;

    if (!buf)
        return NULL;
    save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
    if (!save)
        goto out;
    n = node ? xmlSaveTree(save, node) : xmlSaveDoc(save, doc);
    xmlSaveClose(save);
    if (n < 0)
        goto out;
    /* A document ends in a newline already, an element does not. */
    content = (const char *)xmlBufferContent(buf);
    if (!node)
        text = strdup(content);
    else if (asprintf(&text, "%s\n", content) < 0)
        text = NULL;
out:
    xmlBufferFree(buf);
    return text;
}

int xmlu_line(xmlNodePtr n)
{
    return n->line > 0 ? (int)n->line : 0;
}

int xmlu_elem_err(const char *src, xmlNodePtr n, const char *fmt, ...)
{
    char cause[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    return err_set(HV_ECONFIG, "%s:%d: element <%s>: %s", src, xmlu_line(n),
                   (const char *)n->name, cause);
}

int xmlu_check_attrs(const char *src, xmlNodePtr n, const char *const *ok)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        bool known = false;
        for (size_t i = 0; ok && ok[i]; i++)
            if (!a->ns && strcmp((const char *)a->name, ok[i]) == 0)
                known = true;
        if (!known)
            return xmlu_elem_err(src, n, "unknown attribute '%s'",
                                 (const char *)a->name);
    }
    return 0;
}

char *xmlu_attr(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetNoNsProp(n, (const xmlChar *)name);
}

int xmlu_children(const char *src, xmlNodePtr parent, struct xmlu_child *spec,
                  size_t nspec, const char *(*hint)(xmlNodePtr parent,
                                                    xmlNodePtr c))
{
    for (xmlNodePtr c = parent->children; c; c = c->next) {
        size_t i;

        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (!xmlIsBlankNode(c))
                return err_set(HV_ECONFIG, "%s:%d: element <%s>: unexpected "
                               "text", src, c->line > 0 ? (int)c->line
                                                        : xmlu_line(parent),
                               (const char *)parent->name);
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;           /* comments, processing instructions */
        for (i = 0; i < nspec; i++)
            if (!c->ns && strcmp((const char *)c->name, spec[i].name) == 0)
                break;
        if (i == nspec)
            return xmlu_elem_err(src, c, "unknown element in <%s>%s",
                                 (const char *)parent->name,
                                 hint ? hint(parent, c) : "");
        if (spec[i].node)
            return xmlu_elem_err(src, c, "duplicate element (first at line "
                                 "%d)", xmlu_line(spec[i].node));
        spec[i].node = c;
    }
    for (size_t i = 0; i < nspec; i++)
        if (spec[i].required && !spec[i].node)
            return xmlu_elem_err(src, parent, "missing <%s>", spec[i].name);
    return 0;
}
