/*
 * vhost_user.h - hvcore's front-end side of the vhost-user protocol.
 *
 * Every exchange is synchronous and has a deadline: a back end that does
 * not answer in time (or answers nonsense) gets a negative code and the
 * caller treats it as dead.  With REPLY_ACK negotiated every message that
 * has no reply of its own asks for an acknowledgement, so hvcore knows the
 * back end applied it (the ring set-up, above all) before going on.
 */
#ifndef HVCORE_VHOST_USER_H
#define HVCORE_VHOST_USER_H

#include <stdint.h>

/* Requests hvcore sends (vhost-user spec, "Front-end message types"). */
#define VHOST_USER_GET_FEATURES          1
#define VHOST_USER_SET_FEATURES          2
#define VHOST_USER_SET_OWNER             3
#define VHOST_USER_SET_MEM_TABLE         5
#define VHOST_USER_SET_VRING_NUM         8
#define VHOST_USER_SET_VRING_ADDR        9
#define VHOST_USER_SET_VRING_BASE        10
#define VHOST_USER_GET_VRING_BASE        11
#define VHOST_USER_SET_VRING_KICK        12
#define VHOST_USER_SET_VRING_CALL        13
#define VHOST_USER_SET_VRING_ERR         14
#define VHOST_USER_GET_PROTOCOL_FEATURES 15
#define VHOST_USER_SET_PROTOCOL_FEATURES 16
#define VHOST_USER_GET_QUEUE_NUM         17
#define VHOST_USER_SET_VRING_ENABLE      18
#define VHOST_USER_GET_CONFIG            24

#define VHOST_USER_F_PROTOCOL_FEATURES   30
#define VHOST_USER_PROTOCOL_F_MQ         0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK  3
#define VHOST_USER_PROTOCOL_F_CONFIG     9

/* What one exchange may take before the back end counts as dead. */
#define VHOST_USER_TIMEOUT_MS 5000

struct vu_conn {
    int fd;                     /* connected stream socket, -1: none      */
    uint64_t features;          /* GET_FEATURES                            */
    uint64_t protocol;          /* negotiated protocol features            */
    unsigned queue_num;         /* GET_QUEUE_NUM, or 0 without MQ          */
    unsigned timeout_ms;
    /* CLOCK_MONOTONIC ns: no exchange waits past it (0: none).  A series
     * of exchanges (the hand-shake, a start) so has one deadline in all,
     * not one per message that a slow back end could stretch. */
    uint64_t deadline_ns;
};

/* Give the next exchanges of c one deadline, ms from now; end it. */
void vu_deadline_begin(struct vu_conn *c, unsigned ms);
void vu_deadline_end(struct vu_conn *c);

/*
 * The connection's first exchanges: GET_FEATURES, GET/SET_PROTOCOL_FEATURES
 * (MQ, REPLY_ACK, CONFIG, as far as the back end has them), GET_QUEUE_NUM,
 * SET_OWNER.  0 or -HVE_*.
 */
int vu_handshake(struct vu_conn *c);

int vu_set_features(struct vu_conn *c, uint64_t features);
/* One region: guest addresses [gpa, gpa + size) at hvcore's uaddr, the
 * memfd fd at offset. */
int vu_set_mem_table(struct vu_conn *c, uint64_t gpa, uint64_t size, uint64_t uaddr,
                     uint64_t offset, int fd);
int vu_set_vring_state(struct vu_conn *c, uint32_t req, unsigned index, unsigned num);
int vu_set_vring_addr(struct vu_conn *c, unsigned index, uint64_t desc, uint64_t used,
                      uint64_t avail);
/* SET_VRING_KICK / SET_VRING_CALL / SET_VRING_ERR with fd. */
int vu_set_vring_fd(struct vu_conn *c, uint32_t req, unsigned index, int fd);
/* Stops the ring; *base: the next available index the back end would
 * have used. */
int vu_get_vring_base(struct vu_conn *c, unsigned index, unsigned *base);
/* The first len bytes (<= 256) of the device's config space. */
int vu_get_config(struct vu_conn *c, void *buf, uint32_t len);

#endif /* HVCORE_VHOST_USER_H */
