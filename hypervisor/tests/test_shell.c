/*
 * test_shell.c - the interactive pvboot shell, typed into through a
 * console attached over domctl.
 */
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

struct term {
    int fd;
    char buf[65536];
    size_t len, mark;
};

static bool term_expect(struct term *t, const char *text, int ms)
{
    /* Only matters on failure: generous on a loaded machine too. */
    uint64_t end = ms_now() + (uint64_t)ms * 6;

    for (;;) {
        t->buf[t->len] = '\0';
        char *hit = strstr(t->buf + t->mark, text);
        if (hit) {
            t->mark = (size_t)(hit - t->buf) + strlen(text);
            return true;
        }
        if (ms_now() >= end || t->len >= sizeof(t->buf) - 1)
            return false;
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
            if (n <= 0)
                return false;
            t->len += (size_t)n;
        }
    }
}

#define TERM_EXPECT(t, text) do {                                            \
        if (!term_expect((t), (text), 5000)) {                               \
            fprintf(stderr, "console never showed \"%s\":\n%s\n", (text),   \
                    (t)->buf);                                               \
            fail();                                                          \
        }                                                                    \
    } while (0)

static void type(struct term *t, const char *s)
{
    assert_int_equal(write(t->fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void shell_answers_commands(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    static struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("shell", 32, 1, NULL);
    assert_non_null(d);
    assert_int_equal(dom_ctl(d, &req, &rep, &t.fd), 0);
    TERM_EXPECT(&t, "pvboot> ");

    type(&t, "echo hello world\n");
    TERM_EXPECT(&t, "hello world\r\n");   /* the echo of typing shows once */
    TERM_EXPECT(&t, "hello world\n");     /* the command's output */
    TERM_EXPECT(&t, "pvboot> ");
    type(&t, "uptime\r");
    TERM_EXPECT(&t, "uptime: ");
    type(&t, "mem\n");
    TERM_EXPECT(&t, "mem: 32 MiB total, ");
    type(&t, "frobnicate\n");
    TERM_EXPECT(&t, "unknown command: frobnicate\n");
    type(&t, "help\n");
    TERM_EXPECT(&t, "poweroff");
    type(&t, "reboot\n");
    TERM_EXPECT(&t, "pvboot: booting shell (boot 2)\n");
    TERM_EXPECT(&t, "pvboot> ");
    type(&t, "poweroff\n");
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    close(t.fd);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shell_answers_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
