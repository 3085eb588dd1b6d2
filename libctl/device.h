/*
 * device.h - a domain's disks and network interfaces (docs/devices.md):
 * the model behind hv_device, shared by its XML and JSON forms, the
 * config's device list, the spec hvcore takes (--device, domctl
 * device_attach) and the drivers.  Not part of the API.
 */
#ifndef HVCTL_DEVICE_H
#define HVCTL_DEVICE_H

#include "internal.h"

struct json_object;
typedef struct _xmlNode *dev_xml_node;

/* Where a device's data comes from; the type attribute in XML/JSON. */
enum dev_source {
    SRC_FILE,           /* disk: a regular file, served by hvblk         */
    SRC_BLOCK,          /* disk: a block device, served by hvblk         */
    SRC_SOCKET,         /* disk or interface: a vhost-user socket        */
    SRC_BRIDGE,         /* interface: hvnet's tap device in a bridge     */
    SRC_ETHERNET,       /* interface: hvnet's tap device on its own      */
    SRC_COUNT
};

enum dev_discard { DISCARD_DEFAULT, DISCARD_UNMAP, DISCARD_IGNORE };

/* Spec limits (docs/devices.md, "Device specs"). */
#define DEV_ID_MAX      15      /* bytes of an id, hvcore's id[16]      */
#define DEV_IFNAME_MAX  15      /* a Linux interface name (IFNAMSIZ-1)  */
#define DEV_NET_QUEUES_MAX 7
#define DEV_BLK_QUEUES_MAX 8
/* JSON depth of one device text ({"disk": {...}} needs 2). */
#define DEV_MAX_NESTING 8

struct hv_device {
    int type;                   /* HV_DEVICE_DISK, HV_DEVICE_INTERFACE    */
    int source;                 /* enum dev_source                        */
    char *path;                 /* file, block device or socket path      */
    char *bridge;               /* SRC_BRIDGE                             */
    char *target;               /* disk: its id ("vda"); interface: tap   */
    char *alias;                /* interface: its id; NULL: net<N> given
                                 * when it joins a config or a domain     */
    char *mac;                  /* interface: lower case; NULL until given */
    char *user;                 /* <backend user=...>: the back end's user */
    bool readonly;
    bool direct;                /* <driver cache="none">: O_DIRECT        */
    int discard;                /* enum dev_discard                       */
    unsigned queues;            /* 0: not given (hvcore's default 1)      */
    /* Where it was read, for messages ("web.xml:12: element <disk>");
     * NULL for one built through the API.  Not part of the value. */
    char *origin;
};

/* "file", "block", "vhostuser", "bridge", "ethernet". */
const char *dev_source_name(int source);
/* The device's id: a disk's target, an interface's alias (may be NULL). */
const char *dev_id(const hv_device *dev);
/* "disk 'vda'", "interface 'net0'", "interface" (no id yet). */
void dev_describe(const hv_device *dev, char *buf, size_t size);

/* A zeroed device of the type; NULL (with the error set) out of memory. */
hv_device *dev_new(int type);
/* Record an error about dev, prefixed with its origin; HV_ECONFIG. */
int dev_err(const hv_device *dev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Keep "where" as dev's origin (a copy). */
int dev_set_origin(hv_device *dev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One spelling of each value (a MAC in lower case), after parsing. */
void dev_normalize(hv_device *dev);
/* 1-8 request queues for a disk, 1-7 queue pairs for an interface. */
int dev_check_queues(const hv_device *dev, long long n);
/* Everything the spec grammar and the schema cannot say; HV_ECONFIG. */
int dev_validate(const hv_device *dev);
/*
 * Give an interface what it lacks: a MAC (52:54:00 and three random
 * bytes) and an id (net<N>, the lowest N that `taken` says is free).
 * taken(id, opaque) is true when the id is in use; NULL: none is.
 */
int dev_complete(hv_device *dev, bool (*taken)(const char *id, void *opaque),
                 void *opaque);

/* The hvcore --device SPEC ("blk,id=vda,file=/x,,y"); caller frees. */
int dev_spec(const hv_device *dev, char **out);

/*
 * XML (device_xml.c): read one <disk> or <interface> element (src names
 * the text in messages), or add one to parent.
 */
int dev_from_xml_node(dev_xml_node n, const char *src, hv_device **out);
bool dev_to_xml_node(const hv_device *dev, dev_xml_node parent);

/*
 * JSON (device_json.c): one device object at `path` ("devices.disks[0]")
 * of a document whose key lines are in scan (NULL: unknown).
 */
struct json_scan;
int dev_from_json_obj(struct json_object *o, int type, const char *src,
                      const char *path, const struct json_scan *scan,
                      hv_device **out);
struct json_object *dev_to_json_obj(const hv_device *dev);

/* The config's device list (config_devices.c). */
int cfg_devices_validate(const hv_config *cfg);
void cfg_devices_free(hv_config *cfg);
int cfg_devices_copy(hv_config *dst, const hv_config *src);
/* Append dev (ownership passes, also on failure). */
int cfg_devices_take(hv_config *cfg, hv_device *dev);
/* Give every interface its MAC and id (dev_complete), once the list is
 * whole: the parsers call it after the last device. */
int cfg_devices_complete(hv_config *cfg);

/* ---- a running domain's devices (device_list.c) ---- */

#define DEV_COUNTER_MAX HV_DEVICE_RECONNECTS

struct devlist_entry {
    char id[DEV_ID_MAX + 1];
    int type;                   /* HV_DEVICE_*                            */
    int state;                  /* enum hv_device_state                   */
    char backend[128];
    int backend_pid;
    bool counters_known;
    uint64_t counter[DEV_COUNTER_MAX + 1];  /* by enum hv_device_counter */
};

struct hv_devlist {
    size_t n;
    struct devlist_entry e[];
};

/* n zeroed entries; NULL (error set) when out of memory. */
hv_devlist *devlist_new(size_t n);
/* hv_devlist_to_json's text back (the agent driver); HV_EPROTO. */
int devlist_from_json(const char *text, size_t len, const char *what,
                      hv_devlist **out);

/* ---- drivers ---- */

/* The direct driver (direct_devices.c). */
int direct_attach_device(hv_domain *dom, hv_device *dev, unsigned flags);
/* What dev lacks of an interface's alias and MAC, from given. */
int dev_adopt_ids(hv_device *dev, const hv_device *given);
int direct_detach_device(hv_domain *dom, const char *id, unsigned flags);
int direct_get_devices(hv_domain *dom, hv_devlist **out);

#endif /* HVCTL_DEVICE_H */
