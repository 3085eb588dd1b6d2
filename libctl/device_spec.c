/*
 * device_spec.c - a device as the spec hvcore takes (hvcore --device,
 * domctl device_attach; docs/devices.md, "Device specs"): "blk,id=vda,
 * file=/srv/a,,b.img,readonly", a ',' inside a value doubled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

struct spec_buf {
    char *s;
    size_t len, cap;
    bool nomem;
};

static void put(struct spec_buf *b, const char *s, bool escape)
{
    for (; *s && !b->nomem; s++) {
        int times = escape && *s == ',' ? 2 : 1;
        while (times--) {
            if (b->len + 2 > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 128;
                char *n = realloc(b->s, cap);
                if (!n) {
                    b->nomem = true;
                    return;
                }
                b->s = n;
                b->cap = cap;
            }
            b->s[b->len++] = *s;
            b->s[b->len] = '\0';
        }
    }
}

/* ",key=value" with the value's commas doubled; nothing for NULL. */
static void item(struct spec_buf *b, const char *key, const char *value)
{
    if (!value)
        return;
    put(b, ",", false);
    put(b, key, false);
    if (*value) {
        put(b, "=", false);
        put(b, value, true);
    }
}

int dev_spec(const hv_device *dev, char **out)
{
    struct spec_buf b = { 0 };
    char queues[16];
    const char *id = dev_id(dev);

    *out = NULL;
    if (!id)
        return dev_err(dev, "has no id yet");
    snprintf(queues, sizeof(queues), "%u", dev->queues);
    put(&b, dev->type == HV_DEVICE_DISK ? "blk" : "net", false);
    item(&b, "id", id);
    if (dev->source == SRC_SOCKET)
        item(&b, "socket", dev->path);
    else if (dev->type == HV_DEVICE_DISK)
        item(&b, "file", dev->path);
    if (dev->type == HV_DEVICE_DISK) {
        item(&b, "readonly", dev->readonly ? "" : NULL);
        item(&b, "direct", dev->direct ? "" : NULL);
        if (dev->discard != DISCARD_DEFAULT)
            item(&b, "discard", dev->discard == DISCARD_UNMAP ? "on" : "off");
    } else {
        item(&b, "mac", dev->mac);
        item(&b, "bridge", dev->bridge);
        item(&b, "tap", dev->target);
    }
    item(&b, "queues", dev->queues ? queues : NULL);
    item(&b, "user", dev->user);
    if (b.nomem || !b.s) {
        free(b.s);
        return err_set(HV_ENOMEM, "device: out of memory");
    }
    *out = b.s;
    return 0;
}
