# backends/: the in-tree vhost-user device back ends (docs/devices.md),
# hvblk and hvnet, installed where hvcore looks for them
# ($HVCORE_BACKEND_DIR, else $(pkglibexecdir)).
pkglibexec_PROGRAMS =
