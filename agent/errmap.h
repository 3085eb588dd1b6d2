/*
 * errmap.h - how a libhvctl failure reads over HTTP: a status and the
 * stable `code` string of the JSON error body.
 */
#ifndef HVCTLD_ERRMAP_H
#define HVCTLD_ERRMAP_H

/* For a negative HV_E* code: the HTTP status and error code. */
void errmap_hv(int hv_rc, int *status, const char **code);

#endif /* HVCTLD_ERRMAP_H */
