/*
 * errmap.c - libhvctl error codes as HTTP statuses.
 *
 * The client's mistakes are 4xx: a config that does not validate is 400,
 * a name or state conflict 409.  The host's failures are 5xx: hvcore that
 * will not start (500), speaks the wrong protocol (502) or does not answer
 * in time (504).
 */
#include "errmap.h"
#include "hvctl.h"

void errmap_hv(int hv_rc, int *status, const char **code)
{
    switch (hv_rc) {
    case HV_EINVAL:    *status = 400; *code = "invalid_argument"; break;
    case HV_ECONFIG:   *status = 400; *code = "invalid_config"; break;
    case HV_ESTREAM:   *status = 400; *code = "invalid_stream"; break;
    case HV_ENOTSUP:   *status = 400; *code = "not_supported"; break;
    case HV_ENOENT:    *status = 404; *code = "not_found"; break;
    case HV_EEXIST:    *status = 409; *code = "name_taken"; break;
    case HV_ESTATE:    *status = 409; *code = "wrong_state"; break;
    case HV_EDEAD:     *status = 409; *code = "domain_died"; break;
    case HV_ECANCELED: *status = 409; *code = "cancelled"; break;
    case HV_ENOMEM:    *status = 500; *code = "out_of_memory"; break;
    case HV_EPERM:     *status = 500; *code = "permission_denied"; break;
    case HV_ESPAWN:    *status = 500; *code = "spawn_failed"; break;
    case HV_EPROTO:    *status = 502; *code = "hypervisor_protocol"; break;
    case HV_ETIMEDOUT: *status = 504; *code = "timeout"; break;
    case HV_EIO:
    default:           *status = 500; *code = "internal"; break;
    }
}
