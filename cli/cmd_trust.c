/*
 * cmd_trust.c -- invites (buurt invite, buurt join) and retention (buurt
 * purge).
 *
 * Retention is a pure function of the store and today's UTC date
 * (repo_purgeable), so every node purges the same needs on the same day and
 * reconciliation has little to say about them afterwards.
 */
#include "cli/cli.h"
#include "node/mesh.h"
#include "node/query.h"
#include "node/retention.h"
#include "node/config.h"
#include "node/invites.h"
#include "node/join.h"
#include "node/members.h"
#include "proto/invite.h"

#include <sodium.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_purge(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"dry-run", no_argument, NULL, 'n'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    bool dry = false;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'n')
            dry = true;
        else if (ch == 'j')
            c->json = true;
        else if (ch == 'h') {
            fprintf(c->out, "usage: buurt purge [--dry-run] [--json]\n\n"
                   "Removes needs that are done, cancelled, deleted or expired from this node's\n"
                   "store once the mesh's retention period has passed (default %d days; an admin\n"
                   "changes it with `buurt mesh set --retention DAYS`). Purged edits are never\n"
                   "fetched from peers again. buurtd purges by itself 10 minutes after start and hourly.\n"
                   "  --dry-run   list what would be removed now, remove nothing\n",
                   RETENTION_DEFAULT_DAYS);
            return EXIT_OK;
        } else
            return cli_usage(c, "unknown option: %s", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    size_t *ents = NULL;
    uint64_t now = cli_now(c);
    size_t n = retention_purgeable(r, now, &ents);
    uint64_t days = retention_ms(r) / 86400000u;
    buf_t b = {0};
    buf_printf(&b, "{\"dry_run\":%s,\"retention_days\":%llu,\"needs\":[", dry ? "true" : "false",
               (unsigned long long)days);
    static const char *const hdr[] = {"ID", "STATUS", "SUMMARY", "SINCE"};
    table_t *t = table_new(4, hdr);
    size_t edits = 0;
    for (size_t i = 0; i < n; i++) {
        const entity_t *e = repo_entity_at(r, ents[i]);
        char id[65], when[32];
        hex_encode(e->entity, 32, id);
        const char *st = pv_get_str(e->fields, "status");
        if (pv_get_bool(e->fields, "deleted", false))
            st = "deleted";
        else if (!st || !strcmp(st, "open") || !strcmp(st, "claimed"))
            st = "expired";
        const char *sum = pv_get_str(e->fields, "summary");
        cli_fmt_time(hlc_ms(e->updated), when, sizeof when);
        buf_printf(&b, "%s{\"id\":\"%s\",\"status\":\"%s\",\"edits\":%zu}", i ? "," : "", id, st,
                   e->edits + e->denied + e->ignored);
        edits += e->edits + e->denied + e->ignored;
        id[10] = '\0';
        const char *row[] = {id, st, sum ? sum : "", when};
        table_row(t, row);
    }
    int rc = EXIT_OK;
    size_t removed = 0;
    if (!dry && n > 0) {
        char *cause = NULL;
        int e = repo_purge(r, ents, n, &removed, &cause);
        if (e < 0)
            rc = cli_fail(c, e, cause);
    }
    buf_printf(&b, "],\"edits\":%zu}", dry ? edits : removed);
    if (rc == EXIT_OK) {
        if (c->json) {
            cli_print_json(c, &b);
        } else {
            if (n > 0)
                table_print(c, t);
            fprintf(c->out, "%s %zu need%s (%zu edit%s); retention %llu days\n",
                   dry ? "would purge" : "purged", n, n == 1 ? "" : "s", dry ? edits : removed,
                   (dry ? edits : removed) == 1 ? "" : "s", (unsigned long long)days);
        }
    }
    table_free(&t);
    buf_free(&b);
    free(ents);
    return rc;
}

/* ---------------------------------------------------------------- invite */

int cmd_invite(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"role", required_argument, NULL, 'r'},
                                       {"expires", required_argument, NULL, 'e'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *role = "member", *exp = "24h";
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'r')
            role = optarg;
        else if (ch == 'e')
            exp = optarg;
        else if (ch == 'j')
            c->json = true;
        else if (ch == 'h') {
            fprintf(c->out, "usage: buurt invite [--role member|coordinator|admin] [--expires 24h]\n\n"
                   "Prints a one-time invite code (admins only). On the new node run\n"
                   "  buurt init --name NAME && buurt join CODE\n"
                   "while this node's buurtd runs: it admits the new node's key with a signed\n"
                   "certificate, without anyone typing keys. The code works once, until it\n"
                   "expires (default 24h; 90m, 48h, 7d or a date).\n");
            return EXIT_OK;
        } else
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    if (members_role_parse(role) < 0)
        return cli_usage(c, "unknown role '%s' (one of: admin, coordinator, member)", role);
    uint64_t now = cli_now(c);
    int64_t until = cli_time(exp, now);
    if (until <= (int64_t)now)
        return cli_usage(c, "--expires: '%s' is not a duration (90m, 24h, 7d) or a future date", exp);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    const members_t *m = repo_members(r);
    if (m == NULL)
        return cli_err(c, EXIT_FAIL, "this node is in no mesh; run: buurt mesh create NAME");
    char *why = NULL;
    int arc = mesh_require_admin(r, "invite", &why);
    if (arc < 0)
        return cli_fail(c, arc, why);
    invite_code_t code;
    memcpy(code.mesh_prefix, m->founder, INVITE_PREFIX_LEN);
    randombytes_buf(code.secret, sizeof code.secret);
    invite_t inv = {0};
    invite_derive(code.secret, inv.id, inv.key);
    snprintf(inv.role, sizeof inv.role, "%s", role);
    inv.expires = (uint64_t)until;
    char *cause = NULL;
    if (invites_add(repo_home(r), &inv, &cause) < 0)
        return cli_fail(c, BU_EIO, cause);
    char text[INVITE_CODE_LEN], when[32];
    invite_code_format(&code, text);
    sodium_memzero(&code, sizeof code);
    cli_fmt_time((uint64_t)until, when, sizeof when);
    if (c->json) {
        fprintf(c->out, "{\"code\":\"%s\",\"role\":\"%s\",\"expires_ms\":%lld,\"node\":\"%s\"}\n", text,
               role, (long long)until, repo_key(r)->id);
    } else {
        fprintf(c->out, "%s\n", text);
        fprintf(c->err,
                "buurt: one-time code for a new %s, valid until %s UTC. On the new node:\n"
                "  buurt init --name NAME && buurt join %s\n"
                "(add --peer tcp://THIS-HOST:PORT %s when it is not on this LAN;\n"
                " this node's buurtd must be running)\n",
                role, when, text, repo_key(r)->id);
    }
    return EXIT_OK;
}

/* ---------------------------------------------------------------- join */

int cmd_join(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"peer", required_argument, NULL, 'p'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"beacon-port", required_argument, NULL, 'b'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *peer = NULL, *peer_id = NULL;
    int64_t timeout = 30, bport = 4836;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'p') {
            peer = optarg;
            if (optind >= argc)
                return cli_usage(c, "--peer needs an address and a node id: --peer tcp://HOST:PORT NODE-ID");
            peer_id = argv[optind++];
        } else if (ch == 't') {
            if (cli_int(c, "--timeout", optarg, 1, 3600, &timeout))
                return EXIT_USAGE;
        } else if (ch == 'b') {
            if (cli_int(c, "--beacon-port", optarg, 1, 65535, &bport))
                return EXIT_USAGE;
        } else if (ch == 'j') {
            c->json = true;
        } else if (ch == 'h') {
            fprintf(c->out, "usage: buurt join CODE [--peer tcp://HOST:PORT NODE-ID] [--timeout 30]\n\n"
                   "Joins the mesh of an invite code made with `buurt invite`. Finds the\n"
                   "inviting node by its beacon on this network (or at --peer), proves the\n"
                   "code, and receives this node's membership certificate. Run it after\n"
                   "`buurt init`, with this node's buurtd stopped; then start buurtd.\n");
            return EXIT_OK;
        } else {
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage(c, "give the invite code, e.g. buurt join 3FQ7K-...");
    invite_code_t parsed;
    if (invite_code_parse(argv[optind], &parsed) < 0)
        return cli_usage(c, "'%s' is not an invite code (29 letters and digits in groups of five)",
                         argv[optind]);
    uint8_t pk[32];
    if (peer && (hex_decode(peer_id, pk, 32) < 0 || strncmp(peer, "tcp://", 6) != 0))
        return cli_usage(c, "--peer needs tcp://HOST:PORT and the 64-hex-digit node id of the inviting node");
    if (cli_daemon_running(c->home))
        return cli_err(c, EXIT_FAIL, "buurtd is running on %s; stop it, join, then start it again", c->home);
    char *cur = config_get(c->home, "mesh");
    if (cur) {
        cli_err(c, EXIT_FAIL, "this node is already in mesh %.10s", cur);
        free(cur);
        return EXIT_FAIL;
    }
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    join_opts_t o = {argv[optind], peer, peer ? pk : NULL, (int)bport, (int)timeout * 1000};
    join_result_t res;
    char *cause = NULL;
    if (isatty(2) && !c->json)
        fprintf(c->err, "buurt: looking for the inviting node%s...\n", peer ? "" : " on this network");
    int rc = join_run(r, &o, &res, &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    char mesh[65], inv[65];
    hex_encode(res.mesh, 32, mesh);
    hex_encode(res.inviter, 32, inv);
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"mesh\":\"%s\",\"name\":", mesh);
        json_str(&b, res.mesh_name, strlen(res.mesh_name));
        buf_printf(&b, ",\"role\":\"%s\",\"peer\":\"%s\",\"address\":", res.role, inv);
        json_str(&b, res.inviter_addr, strlen(res.inviter_addr));
        buf_putc(&b, '}');
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "joined mesh %s (%.10s) as %s; start buurtd to sync with %.10s at %s\n",
               res.mesh_name, mesh, res.role, inv, res.inviter_addr);
    }
    return EXIT_OK;
}
