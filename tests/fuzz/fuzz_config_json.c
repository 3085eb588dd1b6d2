/*
 * fuzz_config_json.c - libFuzzer harness for the JSON domain configuration
 * parser (libctl/config_json.c and json_scan.c), through the public API.
 *
 * Besides crashes, leaks and sanitizer errors it holds three invariants:
 * a failure always has a message; what was accepted formats again; and
 * the formatted text means the same (parsed again it formats identically,
 * as JSON and through XML).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "hvctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hv_config *cfg = NULL, *again = NULL, *via_xml = NULL;
    char *json = NULL, *json2 = NULL, *xml = NULL, *json3 = NULL;
    int rc;

    rc = hv_config_from_json((const char *)data, size, "fuzz.json", &cfg);
    if (rc) {
        FUZZ_CHECK(cfg == NULL, "a failed parse returned a config");
        FUZZ_CHECK(*hv_last_error(), "error %d without a message", rc);
        return 0;
    }
    rc = hv_config_to_json(cfg, &json);
    FUZZ_CHECK(rc == 0, "accepted but not formatted: %s", hv_last_error());
    rc = hv_config_from_json(json, strlen(json), "again.json", &again);
    FUZZ_CHECK(rc == 0, "own output refused: %s\n%s", hv_last_error(), json);
    rc = hv_config_to_json(again, &json2);
    FUZZ_CHECK(rc == 0 && strcmp(json, json2) == 0, "JSON round trip "
               "differs:\n%s\n%s", json, json2 ? json2 : "");
    rc = hv_config_to_xml(cfg, &xml);
    FUZZ_CHECK(rc == 0, "accepted but not formatted as XML: %s",
               hv_last_error());
    rc = hv_config_from_xml(xml, strlen(xml), "fuzz.xml", &via_xml);
    FUZZ_CHECK(rc == 0, "own XML refused: %s\n%s", hv_last_error(), xml);
    rc = hv_config_to_json(via_xml, &json3);
    FUZZ_CHECK(rc == 0 && strcmp(json, json3) == 0, "JSON -> XML -> JSON "
               "differs:\n%s\n%s", json, json3 ? json3 : "");
    free(json);
    free(json2);
    free(json3);
    free(xml);
    hv_config_free(cfg);
    hv_config_free(again);
    hv_config_free(via_xml);
    return 0;
}
