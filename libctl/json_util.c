/*
 * json_util.c - a config's or a device's JSON text read (json-c's tokener
 * made strict, its errors made the library's) and written (json_util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "json_util.h"

static int line_of_offset(const char *text, size_t off)
{
    int line = 1;

    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

/* "src:line: cause", or "src: cause" without lines; HV_ECONFIG. */
static int text_err(const char *text, size_t off, const char *src,
                    bool with_lines, const char *cause)
{
    if (with_lines)
        return err_set(HV_ECONFIG, "%s:%d: %s", src,
                       line_of_offset(text, off), cause);
    return err_set(HV_ECONFIG, "%s: %s", src, cause);
}

int jsonu_read(const char *text, size_t len, const char *src, int max_depth,
               bool with_lines, json_object **root, struct json_scan *scan)
{
    enum json_tokener_error e;
    json_tokener *tok = NULL;
    const char *nul;
    size_t end;
    int rc;

    *root = NULL;
    if (!text)
        return err_set(HV_EINVAL, "%s: no text", src);
    if (len > HV_CONFIG_SIZE_MAX)
        return err_set(HV_ECONFIG, "%s: %zu bytes is more than the limit of "
                       "%d bytes", src, len, HV_CONFIG_SIZE_MAX);
    /* json-c would take a NUL byte for the end of the text. */
    if ((nul = memchr(text, '\0', len)))
        return text_err(text, (size_t)(nul - text), src, with_lines,
                        "a NUL byte in the text");
    tok = json_tokener_new_ex(max_depth);
    if (!tok)
        return err_set(HV_ENOMEM, "%s: out of memory", src);
    /* Not UTF-8 could never be written out as XML (nor sent over REST). */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                           JSON_TOKENER_VALIDATE_UTF8);
    *root = json_tokener_parse_ex(tok, text, (int)len);
    e = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (!*root || e != json_tokener_success) {
        rc = e == json_tokener_continue
             ? text_err(text, len, src, with_lines, "JSON ends too early")
             : text_err(text, end, src, with_lines,
                        json_tokener_error_desc(e));
        goto out;
    }
    /* Only blanks may follow the value. */
    for (size_t i = end; i < len; i++)
        if (!strchr(" \t\r\n", text[i])) {
            rc = text_err(text, i, src, with_lines,
                          "unexpected text after the JSON value");
            goto out;
        }
    if (json_scan(text, len, scan) < 0) {
        rc = err_set(HV_ECONFIG, "%s:%d: %s", src, scan->err_line,
                     scan->err);
        goto out;
    }
    rc = 0;
out:
    if (rc) {
        json_object_put(*root);
        *root = NULL;
    }
    json_tokener_free(tok);
    return rc;
}

bool jsonu_add(json_object *obj, const char *key, json_object *val)
{
    if (!val)
        return false;
    if (json_object_object_add(obj, key, val) < 0) {
        json_object_put(val);
        return false;
    }
    return true;
}

char *jsonu_text(json_object *o)
{
    const int how = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                    JSON_C_TO_STRING_NOSLASHESCAPE;
    const char *s = json_object_to_json_string_ext(o, how);
    char *text;

    if (!s || asprintf(&text, "%s\n", s) < 0)
        return NULL;
    return text;
}
