/*
 * fuzz_config_xml.c - libFuzzer harness for the XML domain configuration
 * parser (libctl/config_xml.c), through the public API only.
 *
 * Besides crashes, leaks and sanitizer errors it holds three invariants:
 * a failure always has a message; what was accepted formats again; and
 * the formatted text means the same (parsed again it formats identically,
 * as XML and through JSON).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "hvctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hv_config *cfg = NULL, *again = NULL, *via_json = NULL;
    char *xml = NULL, *xml2 = NULL, *json = NULL, *xml3 = NULL;
    int rc;

    rc = hv_config_from_xml((const char *)data, size, "fuzz.xml", &cfg);
    if (rc) {
        FUZZ_CHECK(cfg == NULL, "a failed parse returned a config");
        FUZZ_CHECK(*hv_last_error(), "error %d without a message", rc);
        return 0;
    }
    rc = hv_config_to_xml(cfg, &xml);
    FUZZ_CHECK(rc == 0, "accepted but not formatted: %s", hv_last_error());
    rc = hv_config_from_xml(xml, strlen(xml), "again.xml", &again);
    FUZZ_CHECK(rc == 0, "own output refused: %s\n%s", hv_last_error(), xml);
    rc = hv_config_to_xml(again, &xml2);
    FUZZ_CHECK(rc == 0 && strcmp(xml, xml2) == 0, "XML round trip differs:"
               "\n%s\n%s", xml, xml2 ? xml2 : "");
    rc = hv_config_to_json(cfg, &json);
    FUZZ_CHECK(rc == 0, "accepted but not formatted as JSON: %s",
               hv_last_error());
    rc = hv_config_from_json(json, strlen(json), "fuzz.json", &via_json);
    FUZZ_CHECK(rc == 0, "own JSON refused: %s\n%s", hv_last_error(), json);
    rc = hv_config_to_xml(via_json, &xml3);
    FUZZ_CHECK(rc == 0 && strcmp(xml, xml3) == 0, "XML -> JSON -> XML "
               "differs:\n%s\n%s", xml, xml3 ? xml3 : "");
    free(xml);
    free(xml2);
    free(xml3);
    free(json);
    hv_config_free(cfg);
    hv_config_free(again);
    hv_config_free(via_json);
    return 0;
}
