/*
 * token_cmd.c - see token_cmd.h.  The secret is printed once, on stdout
 * alone (so `TOKEN=$(hvctld token create ci)` works); only its hash is
 * stored.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "options.h"
#include "store.h"
#include "token_cmd.h"
#include "util.h"

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "hvctld: %s\n", msg);
    fputs("Usage: hvctld token create NAME [--read-only] [--db PATH]\n"
          "       hvctld token list [--db PATH]\n"
          "       hvctld token revoke NAME [--db PATH]\n", stderr);
    return 2;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
              s[i] == '.'))
            return false;
    return true;
}

static int print_token(const struct store_token *t, void *arg)
{
    char when[TIME_STR_LEN];

    printf("%-24s %-10s %s\n", t->name,
           t->role == STORE_ROLE_READONLY ? "read-only" : "admin",
           time_str(t->created_ms, when));
    return 0;
}

int token_main(int argc, char **argv)
{
    const char *db = opts_default_db(), *cmd, *name = NULL;
    enum store_role role = STORE_ROLE_ADMIN;
    struct store *st;
    char err[512];
    int status = 1, rc;

    if (argc < 2)
        return usage(NULL);
    cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strncmp(argv[i], "--db=", 5))
            db = argv[i] + 5;
        else if (!strcmp(argv[i], "--read-only") && !strcmp(cmd, "create"))
            role = STORE_ROLE_READONLY;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(NULL) & 0;
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else
            return usage("token: unexpected argument");
    }
    if (strcmp(cmd, "create") && strcmp(cmd, "list") && strcmp(cmd, "revoke"))
        return usage("token: expected create, list or revoke");
    if (!strcmp(cmd, "list") ? name != NULL : name == NULL)
        return usage(!strcmp(cmd, "list") ? "token list takes no name"
                                          : "token: a NAME is needed");
    if (name && !name_ok(name))
        return usage("token NAME: 1 to 63 letters, digits, '.', '_' or '-'");
    if (store_open(db, &st, err, sizeof(err))) {
        fprintf(stderr, "hvctld: database %s: %s\n", db, err);
        return 1;
    }
    if (!strcmp(cmd, "create")) {
        char secret[TOKEN_LEN + 1];
        unsigned char hash[32];

        if (auth_token_generate(secret, hash)) {
            fprintf(stderr, "hvctld: no random bytes for a token\n");
            goto out;
        }
        rc = store_token_add(st, name, hash, role);
        if (rc == -EEXIST)
            fprintf(stderr, "hvctld: token '%s' already exists\n", name);
        else if (rc)
            fprintf(stderr, "hvctld: %s\n", store_errmsg(st));
        else {
            printf("%s\n", secret);
            fprintf(stderr, "hvctld: token '%s' (%s) created; it is shown "
                    "only now\n", name, role == STORE_ROLE_READONLY
                    ? "read-only" : "admin");
            status = 0;
        }
        OPENSSL_cleanse(secret, sizeof(secret));
    } else if (!strcmp(cmd, "list")) {
        printf("%-24s %-10s %s\n", "NAME", "ROLE", "CREATED");
        status = store_token_foreach(st, print_token, NULL) ? 1 : 0;
    } else {
        rc = store_token_revoke(st, name);
        if (rc)
            fprintf(stderr, "hvctld: %s\n", store_errmsg(st));
        else
            fprintf(stderr, "hvctld: token '%s' revoked\n", name);
        status = rc ? 1 : 0;
    }
out:
    store_close(st);
    return status;
}
