/*
 * vu_front.h - a vhost-user front end for testing the in-tree back ends
 * without hvcore: "guest memory" is a memfd, the back end is started
 * with one end of a socketpair (--fd 3) and a counters page (--stats-fd
 * 4), and the test builds split rings in that memory by hand.
 *
 * Memory is laid out as hvcore lays it out: one region from guest
 * physical 1 MiB (VF_MEM_BASE) to the end, mmap_offset 1 MiB, rings
 * given as the front end's own virtual addresses.
 */
#ifndef HV_TESTS_VU_FRONT_H
#define HV_TESTS_VU_FRONT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "public/backend_stats.h"

#define VF_MEM_BASE  (1ull << 20)
#define VF_MEM_SIZE  (8ull << 20)      /* guest-physical 0 .. 8 MiB      */
#define VF_MAX_Q     16
#define VF_DEADLINE_MS 30000

struct vf_queue {
    unsigned num;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    uint16_t avail_idx;         /* next avail index we publish           */
    uint16_t used_seen;         /* used entries we consumed              */
    int kick, call;             /* eventfds                              */
};

struct vf {
    const char *netns;          /* run the back end in this namespace     */
    pid_t pid;
    int sock;                   /* our end                               */
    int memfd;
    uint8_t *mem;               /* guest-physical 0 .. VF_MEM_SIZE       */
    struct hv_backend_stats *stats;
    int stats_fd;
    int err_pipe;               /* the back end's stderr                 */
    char err[8192];             /* what it wrote so far                  */
    uint64_t features, protocol;
    uint64_t next_alloc;        /* bump allocator in guest memory        */
    struct vf_queue q[VF_MAX_Q];
};

/*
 * Start PROGRAM (hvblk/hvnet in $HVCORE_BACKEND_DIR) with args (NULL
 * ended) after "--fd 3 --stats-fd 4".  0 or -1.
 */
int vf_start(struct vf *f, const char *program, const char *const *args);

/*
 * Use an already connected socket (a back end listening with --socket):
 * guest memory and a private counters page as vf_start makes them, no
 * process of ours (pid -1).  0 or -1.
 */
int vf_attach(struct vf *f, int sock);

/* Run PROGRAM with args alone; its exit status and first stderr line. */
int vf_run(const char *program, const char *const *args, char *line, size_t len);

/* Close our end and wait for the back end; its exit status (or 128+sig). */
int vf_stop(struct vf *f);

/* Whether the back end still runs. */
bool vf_alive(struct vf *f);

/* The back end's stderr so far (read without blocking). */
const char *vf_stderr(struct vf *f);

/* Messages.  -1 on any failure (with a line on stderr). */
int vf_get_u64(struct vf *f, uint32_t req, uint64_t *out);
int vf_set_u64(struct vf *f, uint32_t req, uint64_t v);
int vf_raw(struct vf *f, uint32_t req, uint32_t flags, const void *p, uint32_t size,
           const int *fds, unsigned nfds);
int vf_reply(struct vf *f, uint32_t req, void *p, uint32_t size);
int vf_get_config(struct vf *f, void *buf, uint32_t len);

/* Features, owner, memory table: what hvcore does before queues. */
int vf_handshake(struct vf *f, uint64_t features);

/* Set queue qi up with num entries (rings allocated in guest memory). */
int vf_queue(struct vf *f, unsigned qi, unsigned num);

/* GET_VRING_BASE: stop the queue; the base it answers. */
int vf_get_base(struct vf *f, unsigned qi, uint32_t *base);

/* Guest memory: allocate len bytes (aligned), its gpa; host pointer of a gpa. */
uint64_t vf_alloc(struct vf *f, uint64_t len, uint64_t align);
void *vf_ptr(struct vf *f, uint64_t gpa);

/* Write descriptor i of queue qi. */
void vf_desc(struct vf *f, unsigned qi, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next);

/* Publish head on the avail ring (not kicked); publish only an index. */
void vf_avail(struct vf *f, unsigned qi, uint16_t head);
void vf_avail_idx(struct vf *f, unsigned qi, uint16_t idx);
void vf_kick(struct vf *f, unsigned qi);

/* used_event (the guest's wish for a call) and the back end's avail_event. */
void vf_set_used_event(struct vf *f, unsigned qi, uint16_t v);
uint16_t vf_used_idx(struct vf *f, unsigned qi);
uint16_t vf_avail_event(struct vf *f, unsigned qi);

/* Wait until the used index reaches idx (30 s); false on timeout. */
bool vf_wait_used(struct vf *f, unsigned qi, uint16_t idx);

/* Used entry number n (id, len). */
void vf_used_elem(struct vf *f, unsigned qi, uint16_t n, uint32_t *id, uint32_t *len);

/* Calls signalled on qi so far (reads and clears the eventfd count). */
uint64_t vf_calls(struct vf *f, unsigned qi);

/* Wait until the counters page's error count reaches n (30 s). */
bool vf_wait_errors(struct vf *f, uint64_t n);

#endif
