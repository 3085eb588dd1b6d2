/*
 * unit_device_spec.c - device specs (hvcore --device, domctl
 * device_attach): what a good one means, and the one line that every
 * malformed one gets, word for word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "device_spec.h"
#include "public/errno.h"

static struct dev_spec spec;
static char err[256];

static int parse(const char *text)
{
    err[0] = '\0';
    return dev_spec_parse(text, strlen(text), &spec, err, sizeof(err));
}

static void good_specs_mean_what_they_say(void **state)
{
    (void)state;
    assert_int_equal(parse("blk,id=vda,file=/var/lib/hv/disk.img,readonly"), 0);
    assert_int_equal(spec.type, 2);
    assert_string_equal(spec.id, "vda");
    assert_string_equal(spec.file, "/var/lib/hv/disk.img");
    assert_true(spec.readonly);
    assert_false(spec.direct);
    assert_true(spec.discard);              /* the default */
    assert_int_equal(spec.queues, 1);
    assert_string_equal(spec.socket, "");

    assert_int_equal(parse("blk,id=vdb,file=/srv/a,,b,,,direct,discard=off,queues=8,"
                           "user=nobody"), 0);
    assert_string_equal(spec.file, "/srv/a,b,");   /* ",," is a comma */
    assert_true(spec.direct);
    assert_false(spec.discard);
    assert_int_equal(spec.queues, 8);
    assert_string_equal(spec.user, "nobody");

    assert_int_equal(parse("net,id=net0,mac=52:54:00:12:34:56,bridge=br0,tap=hvtap0,queues=7"), 0);
    assert_int_equal(spec.type, 1);
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    assert_memory_equal(spec.mac, mac, 6);
    assert_true(spec.have_mac);
    assert_string_equal(spec.bridge, "br0");
    assert_string_equal(spec.tap, "hvtap0");
    assert_int_equal(spec.queues, 7);

    assert_int_equal(parse("blk,id=vdb,socket=/run/qsd/vdb.sock"), 0);
    assert_string_equal(spec.socket, "/run/qsd/vdb.sock");
    assert_int_equal(parse("net,id=n.1_x-y,socket=/run/vu.sock,mac=02:00:00:00:00:01"), 0);
    assert_int_equal(parse("blk,id=abcdefghijklmno,file=/x"), 0);   /* 15 bytes */
}

static void describe_says_what_serves_it(void **state)
{
    char buf[128];

    (void)state;
    assert_int_equal(parse("blk,id=vda,file=/srv/disk.img,readonly"), 0);
    dev_spec_describe(&spec, buf, sizeof(buf));
    assert_string_equal(buf, "hvblk /srv/disk.img (read-only)");
    assert_int_equal(parse("blk,id=vdb,socket=/run/q.sock"), 0);
    dev_spec_describe(&spec, buf, sizeof(buf));
    assert_string_equal(buf, "vhost-user /run/q.sock");
    assert_int_equal(parse("net,id=n0,mac=52:54:00:12:34:56,bridge=br0"), 0);
    dev_spec_describe(&spec, buf, sizeof(buf));
    assert_string_equal(buf, "hvnet 52:54:00:12:34:56 bridge br0");
}

static void expect_error(const char *text, size_t len, const char *line)
{
    assert_int_equal(dev_spec_parse(text, len, &spec, err, sizeof(err)), -HVE_INVAL);
    assert_string_equal(err, line);
}

#define BAD(text, line) expect_error((text), strlen(text), (line))

static void malformed_specs_say_why(void **state)
{
    (void)state;
    BAD("", "device spec is empty");
    BAD(",id=vda", "device spec has no type (blk or net)");
    BAD("disk,id=vda", "unknown device type 'disk' (blk or net)");
    BAD("blk,id=vda,file=/x,colour=red", "unknown key 'colour'");
    BAD("blk,file=/x", "id= is required");
    BAD("blk,id=VDA,file=/x", "id 'VDA' is not 1-15 bytes of [a-z0-9_.-]");
    BAD("blk,id=abcdefghijklmnop,file=/x", "id 'abcdefghijklmnop' is not 1-15 bytes of "
        "[a-z0-9_.-]");
    BAD("blk,id=v/a,file=/x", "id 'v/a' is not 1-15 bytes of [a-z0-9_.-]");
    BAD("blk,id=vda,id=vdb,file=/x", "id is given twice");
    BAD("blk,id=vda,file=/x,file=/y", "file is given twice");
    BAD("blk,id=vda,file=/x,socket=/s", "file= and socket= exclude each other");
    BAD("blk,id=vda", "a blk device needs file= or socket=");
    BAD("net,id=n0", "a net device needs socket= or mac=");
    BAD("net,id=n0,file=/x", "file does not apply to a net device");
    BAD("blk,id=vda,file=/x,mac=52:54:00:12:34:56", "mac does not apply to a blk device");
    BAD("net,id=n0,mac=52:54:00:12:34", "mac '52:54:00:12:34' is not a MAC address "
        "(xx:xx:xx:xx:xx:xx)");
    BAD("net,id=n0,mac=52-54-00-12-34-56", "mac '52-54-00-12-34-56' is not a MAC address "
        "(xx:xx:xx:xx:xx:xx)");
    BAD("net,id=n0,mac=01:00:5e:00:00:01", "mac '01:00:5e:00:00:01' is a multicast address");
    BAD("blk,id=vda,file=/x,queues=0", "queues '0' is not between 1 and 8");
    BAD("blk,id=vda,file=/x,queues=9", "queues '9' is not between 1 and 8");
    BAD("net,id=n0,mac=52:54:00:12:34:56,queues=8", "queues '8' is not between 1 and 7");
    BAD("blk,id=vda,file=/x,queues=-1", "queues '-1' is not between 1 and 8");
    BAD("blk,id=vda,file=/x,queues=1x", "queues '1x' is not between 1 and 8");
    BAD("blk,id=vda,file=/x,discard=maybe", "discard 'maybe' is not on or off");
    BAD("blk,id=vda,file=/x,readonly=yes", "readonly takes no value");
    BAD("blk,id=vda,file", "file needs a value (file=...)");
    BAD("blk,id=vda,file=", "file= has an empty value");
    BAD("blk,id=vda,,file=/x", "id 'vda,file=/x' is not 1-15 bytes of [a-z0-9_.-]");
    BAD("blk,id=vda,file=/x,", "empty item in device spec (a ',' inside a value is "
        "written ',,')");
    BAD("blk,,id=vda", "unknown device type 'blk,id=vda' (blk or net)");
    BAD("blk,id=vda,socket=/s,readonly", "readonly is for the in-tree back end, not for socket=");
    BAD("net,id=n0,socket=/s,bridge=br0", "bridge is for the in-tree back end, not for socket=");
    BAD("net,id=n0,mac=52:54:00:12:34:56,tap=a/b", "tap 'a/b' is not an interface name "
        "(1-15 bytes, no '/', ':' or spaces)");
    BAD("net,id=n0,mac=52:54:00:12:34:56,bridge=0123456789abcdef", "bridge '0123456789abcdef' "
        "is not an interface name (1-15 bytes, no '/', ':' or spaces)");
    BAD("blk,id=vda,file=/x,user=-root", "user '-root' is not a user name");
    /* a user is looked up as the spec is read, not when the back end starts */
    BAD("blk,id=vda,file=/x,user=hv-no-such-user", "user 'hv-no-such-user' does not exist");
    /* what a message quotes is cut short and printable */
    BAD("blk,id=vda,file=/x,k\xc3\xa9" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
        "unknown key 'k??aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
    BAD("blk,id=vda,file=/x\ny", "device spec contains a control character");
    BAD("blk,id=vda,file=/x\x1b[2J", "device spec contains a control character");
    BAD("blk,id=vda,file=/x\x7f", "device spec contains a control character");
}

static void hostile_lengths_and_bytes(void **state)
{
    static char big[HV_DEVICE_SPEC_MAX + 2];
    char sock[200];

    (void)state;
    expect_error("blk,id=vda\0,file=/x", 19, "device spec contains a NUL byte");
    memset(big, 'a', sizeof(big));
    memcpy(big, "blk,id=vda,file=/", 17);
    expect_error(big, HV_DEVICE_SPEC_MAX + 1, "device spec is longer than 4096 bytes");
    /* exactly the maximum is read whole */
    assert_int_equal(dev_spec_parse(big, HV_DEVICE_SPEC_MAX, &spec, err, sizeof(err)), 0);
    assert_int_equal(strlen(spec.file), HV_DEVICE_SPEC_MAX - 16);
    snprintf(sock, sizeof(sock), "blk,id=vda,socket=/%0120d", 0);
    BAD(sock, "socket path is longer than 107 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_specs_mean_what_they_say),
        cmocka_unit_test(describe_says_what_serves_it),
        cmocka_unit_test(malformed_specs_say_why),
        cmocka_unit_test(hostile_lengths_and_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
