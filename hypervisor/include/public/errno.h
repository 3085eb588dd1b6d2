/*
 * errno.h - error codes returned to guests by hypercalls and to domctl
 * callers in struct hv_domctl_reply.status.
 *
 * Values are negated on return (-HVE_FAULT).  They equal Linux errno values
 * so that host-side code can pass -errno through unchanged, but guests must
 * use these names: the guest ABI does not depend on the host's libc.
 */
#ifndef HV_PUBLIC_ERRNO_H
#define HV_PUBLIC_ERRNO_H

#define HVE_PERM      1   /* operation not permitted                        */
#define HVE_NOENT     2   /* no such object (vCPU, port, domain)            */
#define HVE_INTR      4   /* interrupted                                    */
#define HVE_IO        5   /* host I/O error                                 */
#define HVE_2BIG      7   /* argument list too long                         */
#define HVE_AGAIN    11   /* try again (e.g. console ring full)             */
#define HVE_NOMEM    12   /* host out of memory                             */
#define HVE_FAULT    14   /* bad guest address or length                    */
#define HVE_BUSY     16   /* resource busy (vCPU already up, ...)           */
#define HVE_EXIST    17   /* already exists                                 */
#define HVE_INVAL    22   /* invalid argument                               */
#define HVE_NOSPC    28   /* no free slot (event-channel ports exhausted)   */
#define HVE_RANGE    34   /* value out of range                             */
#define HVE_NOSYS    38   /* unknown hypercall or sub-operation             */
#define HVE_PROTO    71   /* protocol error (domctl: malformed message)     */
#define HVE_MSGSIZE  90   /* message has the wrong size                     */
#define HVE_VERSION 95    /* interface version not supported (EOPNOTSUPP)   */
#define HVE_TIMEDOUT 110  /* timed out                                      */
#define HVE_ALREADY 114   /* already in the requested state                 */
#define HVE_INPROGRESS 115 /* outcome not known yet (migration: domctl.h)   */
#define HVE_CANCELED 125  /* cancelled by the caller                        */

#endif /* HV_PUBLIC_ERRNO_H */
