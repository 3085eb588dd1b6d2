/*
 * cmd_edit.c - `hvctl edit DOMAIN`: the definition, as XML, in the
 * user's editor; checked when the editor exits and saved (define, which
 * replaces the definition with the same uuid) only when valid.  On a
 * terminal a refused text can be edited again; a script gets exit
 * status 1 and the definition as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_config.h"
#include "cmdopts.h"

/* The file's suffix tells editors it is XML. */
#define EDIT_SUFFIX ".xml"

/* Run the editor on path: 0, or EXIT_FAIL after reporting. */
static int run_editor(struct cli *cli, const char *path)
{
    const char *editor = getenv("VISUAL");
    char cmd[1024];
    int status;
    pid_t pid;

    if (!editor || !*editor)
        editor = getenv("EDITOR");
    if (!editor || !*editor)
        editor = "vi";
    /* Through the shell: EDITOR may carry arguments ("emacs -nw"). */
    snprintf(cmd, sizeof(cmd), "%s \"$1\"", editor);
    fflush(stdout);
    pid = fork();
    if (pid < 0)
        return cli_fail(cli, "cannot start the editor: %s", strerror(errno));
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, "sh", path, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return cli_fail(cli, "waiting for the editor: %s",
                            strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cli_fail(cli, "the editor '%s' failed (%s %d); the definition "
                        "is unchanged", editor,
                        WIFEXITED(status) ? "exit status" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status)
                                          : WTERMSIG(status));
    return EXIT_OK;
}

/* On a terminal, ask whether to edit again. */
static bool again(void)
{
    char line[16];

    if (!isatty(STDIN_FILENO))
        return false;
    fprintf(stderr, "Edit again? [y/N] ");
    return fgets(line, sizeof(line), stdin) && (line[0] == 'y' ||
                                                 line[0] == 'Y');
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* One round: edit, check, save.  1 to go round again. */
static int edit_once(struct cli *cli, struct backend *be, const char *ref,
                     const char *path, const char *before, int *rc)
{
    hv_config *cfg = NULL;
    struct hv_fields f;
    char *text;
    size_t len;
    int err;

    if ((*rc = run_editor(cli, path)))
        return 0;
    if ((err = read_file(path, HV_CONFIG_SIZE_MAX, &text, &len)) < 0) {
        *rc = cli_fail(cli, "cannot read %s: %s", path, strerror(-err));
        return 0;
    }
    if (strcmp(text, before) == 0) {
        free(text);
        if (!cli->json)
            printf("Domain '%s': definition unchanged.\n", ref);
        *rc = EXIT_OK;
        return 0;
    }
    if (hv_config_from_xml(text, len, path, &cfg))
        *rc = cli_fail(cli, "%s; the definition is unchanged",
                       hv_last_error());
    else if (!(*rc = config_fix_paths(cli, be, cfg)))
        *rc = be_define(be, cli, cfg, &f);
    free(text);
    hv_config_free(cfg);
    if (*rc == EXIT_OK && !cli->json)
        printf("Domain '%s': definition updated.\n", f.name);
    return *rc != EXIT_OK && again();
}

int cmd_edit(struct cli *cli, int argc, char **argv)
{
    char path[4096], *before = NULL;
    const char *ref, *tmp = getenv("TMPDIR");
    struct backend *be;
    hv_config *cfg;
    int fd, rc;

    if ((rc = cmd_one_domain(cli, "edit", NULL, NULL, NULL, NULL, argc, argv,
                             &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_config(be, cli, ref, true, &cfg)))
        return rc;
    rc = hv_config_to_xml(cfg, &before);
    hv_config_free(cfg);
    if (rc)
        return cli_fail(cli, "%s", hv_last_error());
    snprintf(path, sizeof(path), "%s/hvctl-edit-XXXXXX" EDIT_SUFFIX,
             tmp && *tmp ? tmp : "/tmp");
    if ((fd = mkstemps(path, (int)strlen(EDIT_SUFFIX))) < 0) {
        rc = cli_fail(cli, "cannot make a file to edit in: %s",
                      strerror(errno));
        goto out;
    }
    if ((rc = write_all(fd, before, strlen(before))) < 0) {
        close(fd);
        rc = cli_fail(cli, "cannot write %s: %s", path, strerror(-rc));
        goto unlink;
    }
    close(fd);
    while (edit_once(cli, be, ref, path, before, &rc))
        ;
unlink:
    unlink(path);
out:
    free(before);
    return rc;
}
