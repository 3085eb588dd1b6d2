/*
 * vu_msg.h - vhost-user messages on the wire (the back end's side): the
 * header, the payloads we understand, and reading one message with its
 * file descriptors (SCM_RIGHTS) as hostile input.
 */
#ifndef HV_BACKENDS_VU_MSG_H
#define HV_BACKENDS_VU_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "vu_mem.h"

enum vu_request {
    VU_GET_FEATURES = 1,
    VU_SET_FEATURES = 2,
    VU_SET_OWNER = 3,
    VU_RESET_OWNER = 4,
    VU_SET_MEM_TABLE = 5,
    VU_SET_VRING_NUM = 8,
    VU_SET_VRING_ADDR = 9,
    VU_SET_VRING_BASE = 10,
    VU_GET_VRING_BASE = 11,
    VU_SET_VRING_KICK = 12,
    VU_SET_VRING_CALL = 13,
    VU_SET_VRING_ERR = 14,
    VU_GET_PROTOCOL_FEATURES = 15,
    VU_SET_PROTOCOL_FEATURES = 16,
    VU_GET_QUEUE_NUM = 17,
    VU_SET_VRING_ENABLE = 18,
    VU_GET_CONFIG = 24,
    VU_SET_CONFIG = 25,
};

#define VU_VERSION           0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY        (1u << 2)
#define VU_FLAG_NEED_REPLY   (1u << 3)

#define VU_F_PROTOCOL_FEATURES 30      /* a virtio feature bit of vhost-user */
#define VU_PROTOCOL_F_MQ        0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_CONFIG    9

#define VU_VRING_INDEX_MASK 0xffu
#define VU_VRING_NOFD       (1u << 8)

#define VU_CONFIG_MAX  256u             /* config space bytes a message holds */
#define VU_MAX_FDS     8u
#define VU_HDR_SIZE    12u

struct vu_state {                        /* SET_VRING_NUM/BASE/ENABLE ...  */
    uint32_t index;
    uint32_t num;
};

struct vu_addr {                         /* SET_VRING_ADDR                 */
    uint32_t index;
    uint32_t flags;
    uint64_t desc;
    uint64_t used;
    uint64_t avail;
    uint64_t log;
};

struct vu_memtable {                     /* SET_MEM_TABLE                  */
    uint32_t nregions;
    uint32_t padding;
    struct vu_mem_desc region[VU_MEM_MAX_REGIONS];
};

struct vu_config {                       /* GET_CONFIG / SET_CONFIG        */
    uint32_t offset;
    uint32_t size;
    uint32_t flags;
    uint8_t data[VU_CONFIG_MAX];
};

struct vu_msg {
    uint32_t request;
    uint32_t flags;
    uint32_t size;                       /* payload bytes                  */
    union {
        uint64_t u64;
        struct vu_state state;
        struct vu_addr addr;
        struct vu_memtable mem;
        struct vu_config config;
        uint8_t raw[sizeof(struct vu_config)];
    } p;
    int fds[VU_MAX_FDS];
    unsigned nfds;
};

/*
 * Read one message from sock.  1: *m holds it (its fds are the caller's);
 * 0: the peer closed the connection between messages; -1: a bad message
 * or a read error, with a one-line reason in err (fds closed).
 */
int vu_msg_read(int sock, struct vu_msg *m, char *err, size_t errlen);

/* Close the fds of m that the caller did not take (fds set to -1). */
void vu_msg_close_fds(struct vu_msg *m);

/* Send the reply to m with size payload bytes from m->p.  0 or -1. */
int vu_msg_reply(int sock, struct vu_msg *m, uint32_t size);

#endif
