/*
 * guest_dir.h - where a guest kernel named without a path is found.
 *
 * `--kernel pvboot` (a bare name, no '/') means the kernel of that name in
 * hvcore's guest directory: $HVCORE_GUEST_DIR when set and not empty, else
 * the directory `make install` puts pvboot in ($(pkgdatadir), normally
 * /usr/local/share/hvcore).  A configuration can then name the installed
 * pvboot without knowing a build tree, the way execvp() finds a command.
 * A name with a '/' is used as it is, relative to hvcore's working
 * directory.
 */
#ifndef HVCORE_GUEST_DIR_H
#define HVCORE_GUEST_DIR_H

#include <stddef.h>

/* Set by the build to $(pkgdatadir). */
#ifndef HVCORE_GUEST_DIR
#define HVCORE_GUEST_DIR "/usr/local/share/hvcore"
#endif

/*
 * The path to open for kernel `name`: `name` itself when it holds a '/',
 * else DIR/name in `buf` (len bytes).  NULL when the result does not fit.
 */
const char *guest_dir_resolve(const char *name, char *buf, size_t len);

#endif /* HVCORE_GUEST_DIR_H */
