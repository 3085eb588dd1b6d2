/*
 * shell.c - a tiny interactive shell on the console, for people trying
 * hvctl console and for tests of console input.
 */
#include "console.h"
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "workloads/workloads.h"

#define SHELL_LINE_MAX 128

struct command {
    const char *name;
    void (*run)(const char *args);
    const char *help;
};

static void cmd_help(const char *args);

static void cmd_uptime(const char *args)
{
    uint64_t ns = time_now_ns();

    (void)args;
    kprintf("uptime: %llu.%03llu s\n", (unsigned long long)(ns / NS_PER_S),
            (unsigned long long)(ns % NS_PER_S / NS_PER_MS));
}

static void cmd_mem(const char *args)
{
    struct mm_stats st;

    (void)args;
    mm_get_stats(&st);
    kprintf("mem: %llu MiB total, %llu MiB free, target %llu MiB\n",
            (unsigned long long)MIB(st.total_pages), (unsigned long long)MIB(st.free_pages),
            (unsigned long long)(READ_ONCE(shared_info->mem_target_kib) / 1024));
}

static void cmd_echo(const char *args)
{
    kprintf("%s\n", args);
}

static void cmd_poweroff(const char *args)
{
    (void)args;
    kprintf("pvboot: powering off\n");
    domain_shutdown(SHUTDOWN_poweroff);
}

static void cmd_reboot(const char *args)
{
    (void)args;
    kprintf("pvboot: rebooting\n");
    domain_shutdown(SHUTDOWN_reboot);
}

static void cmd_crash(const char *args)
{
    (void)args;
    crash_on_purpose();
}

static const struct command commands[] = {
    { "help",     cmd_help,     "list the commands" },
    { "uptime",   cmd_uptime,   "time since boot" },
    { "mem",      cmd_mem,      "memory held, free and the balloon target" },
    { "echo",     cmd_echo,     "echo <text>: print text" },
    { "poweroff", cmd_poweroff, "power the domain off" },
    { "reboot",   cmd_reboot,   "reboot the domain" },
    { "crash",    cmd_crash,    "crash on purpose (page fault)" },
};

static void cmd_help(const char *args)
{
    (void)args;
    kprintf("commands:\n");
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        kprintf("  %-9s %s\n", commands[i].name, commands[i].help);
}

static bool input_ready(void *arg)
{
    (void)arg;
    return console_input_pending();
}

static void console_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;                  /* the wake-up from sched_block is enough */
}

/* Read one line with echo and simple editing.  CR, LF and CR LF all end a
 * line (terminals send CR, pipes LF). */
static void read_line(char *buf, size_t size)
{
    static bool after_cr;
    size_t len = 0;

    for (;;) {
        int c;

        wait_event(input_ready, NULL, 0, 0);
        while ((c = console_getc()) >= 0) {
            bool was_cr = after_cr;

            after_cr = c == '\r';
            if (c == '\n' && was_cr)
                continue;
            if (c == '\r' || c == '\n') {
                console_write("\r\n", 2);     /* as a terminal echoes Enter */
                buf[len] = '\0';
                return;
            }
            if (c == '\b' || c == 0x7f) {
                if (len > 0) {
                    len--;
                    console_write("\b \b", 3);
                }
            } else if (c >= ' ' && c < 0x7f && len + 1 < size) {
                char ch = (char)c;
                buf[len++] = ch;
                console_write(&ch, 1);
            }
        }
        console_flush();        /* the echo: one exit per batch of input */
    }
}

static void run_line(char *line)
{
    char *cmd = (char *)skip_spaces(line);
    char *args = cmd;
    size_t n;

    while (*args && !is_space(*args))
        args++;
    if (*args)
        *args++ = '\0';
    args = (char *)skip_spaces(args);
    n = strlen(args);
    while (n > 0 && is_space(args[n - 1]))
        args[--n] = '\0';
    if (!*cmd)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (strcmp(cmd, commands[i].name) == 0) {
            commands[i].run(args);
            return;
        }
    }
    kprintf("unknown command: %s\n", cmd);
}

void workload_shell(const char *arg)
{
    char line[SHELL_LINE_MAX];
    long port;

    (void)arg;
    port = evtchn_bind_virq(VIRQ_CONSOLE, 0, console_event, NULL);
    if (port < 0)
        panic("shell: cannot bind VIRQ_CONSOLE: %ld", port);
    kprintf("pvboot shell, type 'help'\n");
    for (;;) {
        console_puts("pvboot> ");
        console_flush();
        read_line(line, sizeof(line));
        run_line(line);
    }
}
