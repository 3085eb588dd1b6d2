# backends/: the in-tree vhost-user device back ends (docs/devices.md),
# hvblk and hvnet, installed where hvcore looks for them
# ($HVCORE_BACKEND_DIR, else $(pkglibexecdir)).
#
# libbackend.a: what both share (vhost-user server side, guest memory,
# the split virtqueue parser, options and counters); the tests and the
# fuzz harness link it too.
noinst_LIBRARIES += backends/libbackend.a
backends_libbackend_a_SOURCES = \
	backends/vu_mem.c backends/vu_mem.h \
	backends/virtq.c backends/virtq.h \
	backends/vu_msg.c backends/vu_msg.h \
	backends/vu_dev.c backends/vu_dev.h backends/vu_serve.c \
	backends/be_common.c backends/be_common.h

pkglibexec_PROGRAMS = backends/hvblk
backends_hvblk_SOURCES = backends/hvblk.c backends/blk_req.c backends/blk.h
backends_hvblk_CFLAGS = $(AM_CFLAGS) $(URING_CFLAGS)
backends_hvblk_LDADD = backends/libbackend.a $(URING_LIBS)

pkglibexec_PROGRAMS += backends/hvnet
backends_hvnet_SOURCES = backends/hvnet.c backends/tap.c backends/net_queue.c backends/net.h
backends_hvnet_LDADD = backends/libbackend.a
