/*
 * config_file.c - read a configuration file of either syntax.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

HV_EXPORT int hv_config_load_file(const char *path, hv_config **out)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0, i;
    int fd, rc;

    if (!out)
        return err_set(HV_EINVAL, "config: no place for the result");
    *out = NULL;
    if (!path)
        return err_set(HV_EINVAL, "config: no file name");
    /* O_NONBLOCK: a FIFO is refused below, not waited on. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return err_sys(errno == EACCES ? HV_EPERM : HV_EIO, errno, "%s", path);
    if (fstat(fd, &st) < 0) {
        rc = err_sys(HV_EIO, errno, "%s", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = err_set(HV_ECONFIG, "%s: not a regular file", path);
        goto out;
    }
    /* Refuse huge files before reading them. */
    if (st.st_size > HV_CONFIG_SIZE_MAX) {
        rc = err_set(HV_ECONFIG, "%s: %lld bytes is more than the limit of "
                     "%d bytes", path, (long long)st.st_size,
                     HV_CONFIG_SIZE_MAX);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = err_set(HV_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = err_sys(HV_EIO, errno, "%s", path);
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    for (i = 0; i < len && strchr(" \t\r\n", buf[i]); i++)
        ;
    if (i < len && (buf[i] == '{' || buf[i] == '['))
        rc = hv_config_from_json(buf, len, path, out);
    else
        rc = hv_config_from_xml(buf, len, path, out);
out:
    free(buf);
    close(fd);
    return rc;
}
