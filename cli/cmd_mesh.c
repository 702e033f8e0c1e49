/*
 * cmd_mesh.c -- mesh membership and peers: mesh create/join/show, member
 * add/list, peer add, peers, sync.
 *
 * The mesh id is the founding node's id: joining a mesh means trusting that
 * key as the root of membership. Membership certificates are records of
 * kind "member" and sync like all others.
 */
#include "cli/cli.h"
#include "node/syncmark.h"
#include "node/query.h"
#include "node/retention.h"
#include "node/config.h"
#include "node/home.h"
#include "node/members.h"
#include "node/mesh.h"
#include "node/peers.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool s_help_arg(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

/* Strips --json (any position) into c->json; returns the new argc. */
static int s_strip_json(cli_t *c, int argc, char **argv)
{
    int k = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            c->json = true;
        else
            argv[k++] = argv[i];
    }
    return k;
}

/* Handles a command group called with no subcommand (one line on c->err,
 * exit 2) or with --help (help on stdout, exit 0). Returns -1 otherwise. */
static int s_group(cli_t *c, int argc, char **argv, const char *name, const char *help)
{
    if (argc < 2) {
        fprintf(c->err, "buurt %s: give a subcommand; see buurt %s --help\n", name, name);
        return EXIT_USAGE;
    }
    if (s_help_arg(argc, argv) || !strcmp(argv[1], "help")) {
        fputs(help, c->out);
        return EXIT_OK;
    }
    (void)c;
    return -1;
}

/* Loads the mesh id; prints an error (returning false) when not in one. */
static bool s_mesh(cli_t *c, uint8_t mesh[32])
{
    char *m = config_get(c->home, "mesh");
    bool ok = m && hex_decode(m, mesh, 32) == 0;
    free(m);
    if (!ok)
        cli_err(c, EXIT_FAIL, "this node is in no mesh yet; run: buurt mesh create NAME, or buurt mesh join MESH-ID");
    return ok;
}

/* The home's mesh, repo and membership (members_clear it), for member
 * add and revoke; false (error printed) when there is none. */
static bool s_open_members(cli_t *c, uint8_t mesh[32], repo_t **r, members_t *m)
{
    if (!s_mesh(c, mesh) || !(*r = cli_repo(c)))
        return false;
    repo_members_for(*r, mesh, m);
    return true;
}

static int s_mesh_create(cli_t *c, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage(c, "give the mesh a name, e.g. buurt mesh create \"Rotterdam-Zuid\"");
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    char *cause = NULL;
    int rc = mesh_create(r, argv[1], &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"mesh\":\"%s\",\"name\":", repo_key(r)->id);
        json_str(&b, argv[1], strlen(argv[1]));
        buf_putc(&b, '}');
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "%s\n", repo_key(r)->id);
    }
    fprintf(c->err, "buurt: note: this mesh has one admin (this node). Admit a second admin soon "
                    "(buurt member add NODE-ID --name NAME --role admin) so a lost laptop cannot "
                    "lock everyone out.\n");
    return EXIT_OK;
}

static int s_mesh_join(cli_t *c, int argc, char **argv)
{
    uint8_t mesh[32];
    if (argc != 2 || hex_decode(argv[1], mesh, 32) < 0)
        return cli_usage(c, "give the 64-hex-digit mesh id that `buurt mesh create` printed");
    char hex[65], *cause = NULL;
    hex_encode(mesh, 32, hex);
    if (!home_exists(c->home))
        return cli_err(c, EXIT_FAIL, "no node at %s: check --home or BUURT_HOME (buurt --home %s init would make a new node, with a new identity)",
                       c->home, c->home);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    int rc = mesh_join(r, mesh, NULL, &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    if (c->json)
        fprintf(c->out, "{\"mesh\":\"%s\"}\n", hex);
    else
        fprintf(c->out, "joined mesh %.10s; ask one of its admins to run: buurt member add <this node's id> "
               "--name NAME\n",
               hex);
    return EXIT_OK;
}

static int s_mesh_show(cli_t *c)
{
    uint8_t mesh[32];
    if (!s_mesh(c, mesh))
        return EXIT_FAIL;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    members_t m;
    repo_members_for(r, mesh, &m);
    const member_t *me = members_find(&m, repo_key(r)->pk);
    char hex[65];
    hex_encode(mesh, 32, hex);
    char *name = config_get(c->home, "mesh_name");
    const char *nm = m.mesh_name[0] ? m.mesh_name : name ? name : "";
    size_t active = 0;
    for (size_t i = 0; i < m.n; i++)
        active += !m.v[i].revoked;
    quota_limits_t lim;
    repo_quota_limits(r, &lim);
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"mesh\":\"%s\",\"name\":", hex);
        json_str(&b, nm, strlen(nm));
        buf_printf(&b, ",\"members\":%zu,\"role\":\"%s\",\"retention_days\":%llu,"
                       "\"member_edits_per_hour\":%u,\"member_edits_max\":%u,\"stale_hours\":%llu}", active,
                   me ? (me->revoked ? "revoked" : members_role_name(me->role)) : "none",
                   (unsigned long long)(retention_ms(r) / 86400000u), lim.per_hour, lim.total,
                   (unsigned long long)(query_stale_ms(r) / 3600000u));
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "mesh       %s\nname       %s\nmembers    %zu\nyou are    %s\nretention  %llu days\n"
                        "quota      a member may make %u edits per hour, %u in all (admins: no limit)\n"
                        "stale      a place's status after %llu hours\n",
               hex, nm, active,
               me ? (me->revoked ? "revoked" : members_role_name(me->role))
                  : "not admitted yet (an admin runs: buurt member add <your id> --name NAME)",
               (unsigned long long)(retention_ms(r) / 86400000u), lim.per_hour, lim.total,
               (unsigned long long)(query_stale_ms(r) / 3600000u));
    }
    free(name);
    members_clear(&m);
    return EXIT_OK;
}

/* A whole number from lo to hi in opt (a trailing suffix allowed), or -1. */
static int64_t s_num(const char *opt, char suffix, int64_t lo, int64_t hi)
{
    char *end = NULL;
    errno = 0;
    int64_t v = strtoll(opt, &end, 10);
    if (end && suffix && *end == suffix)
        end++;
    if (*opt == '\0' || errno || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

static int s_mesh_set(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"retention", required_argument, NULL, 'r'},
                                       {"member-edits-per-hour", required_argument, NULL, 'h'},
                                       {"member-edits-max", required_argument, NULL, 'm'},
                                       {"stale-hours", required_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
    int64_t days = 0, per_hour = 0, max = 0, stale = 0;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'r' && (days = s_num(optarg, 'd', 1, 3650)) < 0)
            return cli_usage(c, "--retention must be a number of days from 1 to 3650");
        else if (ch == 'h' && (per_hour = s_num(optarg, 0, 1, 1000000)) < 0)
            return cli_usage(c, "--member-edits-per-hour must be a number from 1 to 1000000");
        else if (ch == 'm' && (max = s_num(optarg, 0, 1, 100000000)) < 0)
            return cli_usage(c, "--member-edits-max must be a number from 1 to 100000000");
        else if (ch == 's' && (stale = s_num(optarg, 'h', 1, 8760)) < 0)
            return cli_usage(c, "--stale-hours must be a number of hours from 1 to 8760");
        else if (ch != 'r' && ch != 'h' && ch != 'm' && ch != 's')
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    if (optind != argc || (!days && !per_hour && !max && !stale))
        return cli_usage(c, "give a setting, e.g. buurt mesh set --retention 30");
    uint8_t mesh[32], id[32];
    if (!s_mesh(c, mesh))
        return EXIT_FAIL;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    rec_mesh_settings_id(mesh, id);
    pv_t *f = pv_map();
    if (days)
        pv_map_set(f, "retention_days", pv_int(days));
    if (per_hour)
        pv_map_set(f, "member_edits_per_hour", pv_int(per_hour));
    if (max)
        pv_map_set(f, "member_edits_max", pv_int(max));
    if (stale)
        pv_map_set(f, "stale_hours", pv_int(stale));
    char *cause = NULL;
    int rc = repo_edit(r, REC_MESH, id, f, NULL, &cause);
    if (rc < 0) {
        pv_free(&f);
        return cli_fail(c, rc, cause);
    }
    if (c->json) {
        buf_t b = {0};
        pv_to_json(f, &b);
        buf_putc(&b, '\n');
        fwrite(b.data, 1, b.len, c->out);
        buf_free(&b);
    } else {
        if (days)
            fprintf(c->out, "retention is now %lld days for the whole mesh\n", (long long)days);
        if (per_hour)
            fprintf(c->out, "a member may now make %lld edits per hour\n", (long long)per_hour);
        if (max)
            fprintf(c->out, "a member may now have %lld edits in all\n", (long long)max);
        if (stale)
            fprintf(c->out, "a place's status is now stale after %lld hours\n", (long long)stale);
    }
    pv_free(&f);
    return EXIT_OK;
}

/* mesh void-future: declares held (far future) edits void for the mesh. */
static int s_mesh_void(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"after", required_argument, NULL, 'a'},
                                       {"dry-run", no_argument, NULL, 'n'},
                                       {NULL, 0, NULL, 0}};
    const char *after = NULL;
    bool dry = false;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'a')
            after = optarg;
        else if (ch == 'n')
            dry = true;
        else
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    if (optind != argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    uint64_t now = cli_now(c);
    int64_t cut = (int64_t)now + HLC_MAX_SKEW_MS;
    if (after && (cut = cli_time(after, now)) < (int64_t)now + HLC_MAX_SKEW_MS)
        return cli_usage(c, "--after must be a time at least %d minutes from now (a duration like 2d "
                            "or a date like 2030-01-01): only edits from the future can be voided",
                         HLC_MAX_SKEW_MS / 60000);
    uint8_t mesh[32];
    repo_t *r;
    members_t m;
    if (!s_open_members(c, mesh, &r, &m))
        return EXIT_FAIL;
    members_clear(&m);
    char *cause = NULL;
    int rc = dry ? 0 : mesh_require_admin(r, "declare edits void", &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    uint8_t (*ids)[32] = NULL;
    size_t n = repo_held_ids(r, (uint64_t)cut << 16 | 0xffff, &ids);
    size_t done = 0;
    uint8_t settings[32];
    rec_mesh_settings_id(mesh, settings);
    /* one settings edit per 200 ids (the field's limit) */
    for (size_t i = 0; !dry && i < n && rc == 0; i += 200) {
        pv_t *f = pv_map(), *l = pv_arr();
        char hex[65];
        for (size_t j = i; j < n && j < i + 200; j++) {
            hex_encode(ids[j], 32, hex);
            pv_arr_push(l, pv_str(hex));
        }
        pv_map_set(f, "void", l);
        rc = repo_edit(r, REC_MESH, settings, f, NULL, &cause);
        pv_free(&f);
    }
    size_t removed = 0;
    if (rc == 0 && !dry && n > 0)
        rc = repo_apply_voids(r, &removed, &cause);
    if (rc < 0) {
        free(ids);
        return cli_fail(c, rc, cause);
    }
    done = dry ? n : removed;
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"dry_run\":%s,\"void\":[", dry ? "true" : "false");
        for (size_t i = 0; i < n; i++) {
            char hex[65];
            hex_encode(ids[i], 32, hex);
            buf_printf(&b, "%s\"%s\"", i ? "," : "", hex);
        }
        buf_printf(&b, "],\"removed\":%zu}", dry ? (size_t)0 : removed);
        cli_print_json(c, &b);
        buf_free(&b);
    } else if (n == 0) {
        fprintf(c->out, "no held edits are dated after that; nothing to void\n");
    } else if (dry) {
        fprintf(c->out, "%zu held edits would be declared void:\n", n);
        for (size_t i = 0; i < n; i++) {
            char hex[65];
            hex_encode(ids[i], 32, hex);
            fprintf(c->out, "  %s\n", hex);
        }
    } else {
        fprintf(c->out, "declared %zu edits void for the whole mesh and removed %zu here; every node "
               "removes them as the declaration reaches it\n", n, done);
    }
    free(ids);
    return EXIT_OK;
}

int cmd_mesh(cli_t *c, int argc, char **argv)
{
    argc = s_strip_json(c, argc, argv);
    int g = s_group(c, argc, argv, "mesh",
                    "usage: buurt mesh create NAME | join MESH-ID | show | set SETTING... |\n"
                    "       void-future [--after TIME] [--dry-run]\n\n"
                    "  create NAME     found a mesh; this node becomes its first admin; prints the mesh id\n"
                    "  join MESH-ID    trust that mesh's founder key as the root of membership\n"
                    "  show            mesh id, name, members, this node's role, retention, quota\n"
                    "  set             (admins) settings every node applies:\n"
                    "    --retention DAYS  keep done, cancelled and expired needs this many days\n"
                    "                  before every node purges them (default 30)\n"
                    "    --member-edits-per-hour N  edits a member (not an admin) may have per hour\n"
                    "                  of its clock (default 2000); more are refused everywhere\n"
                    "    --member-edits-max N  edits a member may have in all (default 20000)\n"
                    "    --stale-hours N  a place's status set longer ago is shown as stale\n"
                    "                  (default 24)\n"
                    "  void-future     (admins) declare the edits this node holds because they are\n"
                    "                  dated in the future (after TIME, default 10 minutes from now)\n"
                    "                  void: every node removes them and never takes them again\n");
    if (g >= 0)
        return g;
    if (!strcmp(argv[1], "create")) {
        c->cmd = "mesh create";
        return s_mesh_create(c, argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "join")) {
        c->cmd = "mesh join";
        return s_mesh_join(c, argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "show"))
        return s_mesh_show(c);
    if (!strcmp(argv[1], "set")) {
        c->cmd = "mesh set";
        return s_mesh_set(c, argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "void-future")) {
        c->cmd = "mesh void-future";
        return s_mesh_void(c, argc - 1, argv + 1);
    }
    return cli_usage(c, "unknown subcommand '%s'", argv[1]);
}

/* ---------------------------------------------------------------- member */

static int s_member_add(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"name", required_argument, NULL, 'n'},
                                       {"role", required_argument, NULL, 'r'},
                                       {NULL, 0, NULL, 0}};
    const char *name = NULL, *role = "member";
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'n')
            name = optarg;
        else if (ch == 'r')
            role = optarg;
        else
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    uint8_t key[32];
    if (optind != argc - 1 || hex_decode(argv[optind], key, 32) < 0)
        return cli_usage(c, "give the new member's full node id (64 hex digits, from its `buurt id`)");
    if (!name || !*name)
        return cli_usage(c, "--name is required (the organisation of that node)");
    if (!rec_token_ok(REC_MEMBER_ROLES, role))
        return cli_usage(c, "unknown role '%s' (one of: admin, coordinator, member)", role);
    uint8_t mesh[32];
    repo_t *r;
    members_t m;
    if (!s_open_members(c, mesh, &r, &m))
        return EXIT_FAIL;
    members_clear(&m);
    char *cause = NULL;
    int rc = mesh_require_admin(r, "admit members", &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    pv_t *f = pv_map();
    pv_map_set(f, "name", pv_str(name));
    pv_map_set(f, "role", pv_str(role));
    pv_map_set(f, "revoked", pv_bool(false));

    rc = repo_edit(r, REC_MEMBER, key, f, NULL, &cause);
    pv_free(&f);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    if (c->json)
        fprintf(c->out, "{\"id\":\"%s\",\"role\":\"%s\"}\n", argv[optind], role);
    else
        fprintf(c->out, "admitted %.10s (%s) as %s\n", argv[optind], name, role);
    return EXIT_OK;
}

/* Resolves a member by full id or unique prefix among the certificates. */
static int s_member_resolve(cli_t *c, const members_t *m, const char *arg, uint8_t out[32])
{
    size_t pl = strlen(arg), hits = 0;
    if (pl == 0 || pl > 64 || !hex_is(arg))
        return cli_usage(c, "'%s' is not a node id (see buurt member list)", arg);
    for (size_t i = 0; i < m->n; i++) {
        char hex[65];
        hex_encode(m->v[i].key, 32, hex);
        if (strncasecmp(hex, arg, pl) == 0) {
            memcpy(out, m->v[i].key, 32);
            hits++;
        }
    }
    if (hits == 0)
        return cli_err(c, EXIT_FAIL, "no member with id %s; see buurt member list", arg);
    if (hits > 1)
        return cli_err(c, EXIT_FAIL, "id %s matches %zu members; give more digits", arg, hits);
    return 0;
}

static int s_member_revoke(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"reason", required_argument, NULL, 'r'},
                                       {"since", required_argument, NULL, 's'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *reason = NULL, *since = NULL;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        if (ch == 'r')
            reason = optarg;
        else if (ch == 's')
            since = optarg;
        else if (ch == 'h') {
            fprintf(c->out, "usage: buurt member revoke NODE-ID [--reason TEXT] [--since WHEN]\n\n"
                   "Shuts a member out (admins only): every node refuses its connections and\n"
                   "ignores edits it signs from then on; what it wrote before stays valid.\n"
                   "  --reason TEXT   why, e.g. \"laptop stolen\" (shown in member list)\n"
                   "  --since WHEN    also ignore its edits signed since then: 2h (ago), 3d (ago)\n"
                   "                  or a date 2026-11-20; for a laptop lost before you noticed\n");
            return EXIT_OK;
        } else
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    if (optind != argc - 1)
        return cli_usage(c, "give the id of the member to revoke (see buurt member list)");
    if (reason && (strlen(reason) == 0 || strlen(reason) > 200))
        return cli_usage(c, "--reason must be 1 to 200 characters");
    int64_t at = -1;
    uint64_t now = cli_edit_now(c); /* "2h ago" in the revocation's own clock */
    if (since) {
        at = cli_time(since, now);
        if (at > (int64_t)now) /* a duration means that long ago */
            at = (int64_t)now - (at - (int64_t)now);
        if (at < 0)
            return cli_usage(c, "--since: '%s' is not a duration (2h, 3d) or date (2026-11-20)", since);
    }
    uint8_t mesh[32];
    repo_t *r;
    members_t m;
    if (!s_open_members(c, mesh, &r, &m))
        return EXIT_FAIL;
    uint8_t key[32];
    int rc = s_member_resolve(c, &m, argv[optind], key);
    const member_t *x = rc == 0 ? members_find(&m, key) : NULL;
    bool already = x && x->revoked;
    members_clear(&m);
    if (rc)
        return rc;
    char *why = NULL;
    if ((rc = mesh_require_admin(r, "revoke members", &why)) < 0)
        return cli_fail(c, rc, why);
    if (memcmp(key, mesh, 32) == 0)
        return cli_err(c, EXIT_FAIL, "the founder cannot be revoked; see docs/trust.md (lost keys)");
    if (memcmp(key, repo_key(r)->pk, 32) == 0)
        return cli_err(c, EXIT_FAIL, "a node cannot revoke itself; ask another admin");
    if (already)
        return cli_err(c, EXIT_FAIL, "%s is already revoked", argv[optind]);
    pv_t *f = pv_map();
    pv_map_set(f, "revoked", pv_bool(true));
    if (reason)
        pv_map_set(f, "reason", pv_str(reason));
    if (at >= 0)
        pv_map_set(f, "revoked_at", pv_int(at));
    /* what this node holds of the member is all that counts from now on
     * (docs/trust.md): a revoked node whose clock is behind cannot go on
     * writing edits dated before its revocation */
    uint64_t newest = 0;
    repo_author_newest(r, key, &newest);
    pv_map_set(f, "known_until", pv_int((int64_t)newest));
    char *cause = NULL;
    rc = repo_edit(r, REC_MEMBER, key, f, NULL, &cause);
    pv_free(&f);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    char hex[65];
    hex_encode(key, 32, hex);
    if (c->json)
        fprintf(c->out, "{\"id\":\"%s\",\"revoked\":true}\n", hex);
    else
        fprintf(c->out, "revoked %.10s; the revocation reaches other nodes as they sync\n", hex);
    return EXIT_OK;
}

static int s_member_list(cli_t *c)
{
    uint8_t mesh[32];
    if (!s_mesh(c, mesh))
        return EXIT_FAIL;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    members_t m;
    repo_members_for(r, mesh, &m);
    buf_t b = {0};
    static const char *const hdr[] = {"ID", "NAME", "ROLE", "ADMITTED BY", "WHEN", "REVOKED"};
    table_t *t = table_new(6, hdr);
    uint64_t now = cli_now(c);
    buf_append(&b, "{\"members\":[", 12);
    for (size_t i = 0; i < m.n; i++) {
        const member_t *x = &m.v[i];
        char id[65], by[65], when[32] = "";
        hex_encode(x->key, 32, id);
        hex_encode(x->admitted_by, 32, by);
        if (x->admitted)
            cli_fmt_time(hlc_ms(x->admitted), when, sizeof when);
        if (i)
            buf_putc(&b, ',');
        buf_printf(&b, "{\"id\":\"%s\",\"name\":", id);
        json_str(&b, x->name, strlen(x->name));
        buf_printf(&b, ",\"role\":\"%s\",\"admitted_by\":\"%s\",\"admitted_ms\":%llu,\"revoked\":%s",
                   members_role_name(x->role), by, (unsigned long long)hlc_ms(x->admitted),
                   x->revoked ? "true" : "false");
        char rv[260] = "";
        if (x->revoked) {
            char rby[65], rwhen[32];
            hex_encode(x->revoked_by, 32, rby);
            cli_fmt_time(hlc_ms(x->revoked_at), rwhen, sizeof rwhen);
            buf_printf(&b, ",\"revoked_by\":\"%s\",\"revoked_ms\":%llu,\"reason\":", rby,
                       (unsigned long long)hlc_ms(x->revoked_at));
            json_str(&b, x->reason, strlen(x->reason));
            snprintf(rv, sizeof rv, "yes, %s%s%s", rwhen, x->reason[0] ? ": " : "", x->reason);
        }
        buf_putc(&b, '}');
        (void)now;
        id[10] = by[10] = '\0';
        if (x->admitted == 0)
            snprintf(by, sizeof by, "(founder)");
        const char *row[] = {id, x->name, members_role_name(x->role), by, when, rv};
        table_row(t, row);
    }
    buf_append(&b, "]}", 2);
    if (c->json)
        cli_print_json(c, &b);
    else
        table_print(c, t);
    table_free(&t);
    buf_free(&b);
    members_clear(&m);
    return EXIT_OK;
}

int cmd_member(cli_t *c, int argc, char **argv)
{
    argc = s_strip_json(c, argc, argv);
    int g = s_group(c, argc, argv, "member",
                    "usage: buurt member add NODE-ID --name NAME [--role member|coordinator|admin]\n"
                    "       buurt member revoke NODE-ID [--reason TEXT] [--since WHEN]\n"
                    "       buurt member list\n\n"
                    "An admin admits a node by its id (printed by `buurt id` on that node) with a\n"
                    "signed certificate that syncs to every node.\n");
    if (g >= 0)
        return g;
    if (!strcmp(argv[1], "add")) {
        c->cmd = "member add";
        return s_member_add(c, argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "list"))
        return s_member_list(c);
    if (!strcmp(argv[1], "revoke")) {
        c->cmd = "member revoke";
        return s_member_revoke(c, argc - 1, argv + 1);
    }
    return cli_usage(c, "unknown subcommand '%s'", argv[1]);
}

/* ---------------------------------------------------------------- peer, peers, sync */

int cmd_peer(cli_t *c, int argc, char **argv)
{
    argc = s_strip_json(c, argc, argv);
    int g = s_group(c, argc, argv, "peer",
                    "usage: buurt peer add tcp://HOST:PORT NODE-ID\n\n"
                    "Adds a static peer for links beyond the LAN (a VPN, a cable). buurtd\n"
                    "connects to it and keeps reconnecting; only that node's key can answer.\n");
    if (g >= 0)
        return g;
    c->cmd = "peer add";
    if (strcmp(argv[1], "add") != 0)
        return cli_usage(c, "unknown subcommand '%s'", argv[1]);
    uint8_t key[32];
    if (argc != 4 || strncmp(argv[2], "tcp://", 6) != 0 || !strchr(argv[2] + 6, ':') ||
        strchr(argv[2], ' '))
        return cli_usage(c, "give an address like tcp://192.0.2.10:4836 and the peer's node id");
    if (hex_decode(argv[3], key, 32) < 0)
        return cli_usage(c, "'%s' is not a node id (64 hex digits, from `buurt id` on that node)",
                         argv[3]);
    if (!home_exists(c->home))
        return cli_err(c, EXIT_FAIL, "no node at %s: check --home or BUURT_HOME (buurt --home %s init would make a new node, with a new identity)",
                       c->home, c->home);
    char *cause = NULL;
    int rc = peers_add(c->home, argv[2], key, &cause);
    if (rc == BU_EINVAL) {
        rc = cli_usage(c, "%s", cause);
        free(cause);
        return rc;
    }
    if (rc < 0)
        return cli_fail(c, rc, cause);
    char hex[65];
    hex_encode(key, 32, hex);
    if (c->json)
        fprintf(c->out, "{\"address\":\"%s\",\"id\":\"%s\"}\n", argv[2], hex);
    else
        fprintf(c->out, "peer %.10s at %s added\n", hex, argv[2]);
    return EXIT_OK;
}

static void s_ago(int64_t ms, char *out, size_t n)
{
    if (ms < 0)
        snprintf(out, n, "never");
    else if (ms < 2000)
        snprintf(out, n, "now");
    else if (ms < 120000)
        snprintf(out, n, "%llds ago", (long long)(ms / 1000));
    else
        snprintf(out, n, "%lldm ago", (long long)(ms / 60000));
}

int cmd_peers(cli_t *c, int argc, char **argv)
{
    argc = s_strip_json(c, argc, argv);
    if (s_help_arg(argc, argv)) {
        fprintf(c->out, "usage: buurt peers [--json]\n\n"
               "Each peer of the running buurtd: id, name, address, connected or last seen,\n"
               "edits sent/received/rejected, and lag (time since it last reconciled).\n");
        return EXIT_OK;
    }
    if (argc > 1)
        return cli_usage(c, "unexpected argument '%s'", argv[1]);
    ctl_msg_t rep;
    char *cause = NULL;
    int rc = cli_daemon_peers(c->home, 10000, &rep, &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    pv_t *list = rep.peers;
    /* the node's own state (held edits, clock, beacons, store notes) */
    const pv_t *st = rep.node;
    /* when each peer last synced, remembered across restarts */
    syncmark_t *marks = xcalloc(1, sizeof *marks);
    syncmark_load(c->home, marks);
    for (size_t i = 0; list && list->type == PV_ARR && i < list->u.a.n; i++) {
        pv_t *p = list->u.a.items[i];
        uint8_t key[32];
        const char *id = pv_get_str(p, "id");
        uint64_t ms = id && hex_decode(id, key, 32) == 0 ? syncmark_peer_ms(marks, key) : 0;
        pv_map_set(p, "last_sync_ms", pv_int((int64_t)ms));
    }
    const pv_t *notes = pv_map_get(st, "notes");
    if (c->json) {
        buf_t b = {0};
        buf_append(&b, "{\"peers\":", 9);
        pv_to_json(list, &b);
        for (size_t i = 0; st && i < st->u.m.n; i++) {
            buf_printf(&b, ",\"%s\":", st->u.m.keys[i]);
            pv_to_json(st->u.m.vals[i], &b);
        }
        buf_printf(&b, ",\"last_sync_ms\":%llu,\"last_sync_before_away_ms\":%llu",
                   (unsigned long long)marks->last.ms, (unsigned long long)marks->before.ms);
        buf_putc(&b, '}');
        cli_print_json(c, &b);
        buf_free(&b);
    } else if (list->u.a.n == 0) {
        fprintf(c->out, "no peers yet (beacons find LAN peers; add others with buurt peer add)\n");
    } else {
        static const char *const hdr[] = {"ID", "NAME", "ADDRESS", "STATE", "SENT", "RECEIVED", "REJECTED", "LAG"};
        table_t *t = table_new(8, hdr);
        for (size_t i = 0; i < list->u.a.n; i++) {
            const pv_t *p = list->u.a.items[i];
            char id[11], state[32], sent[24], recv[24], rej[24], lag[32];
            snprintf(id, sizeof id, "%.10s", pv_get_str(p, "id"));
            if (pv_get_bool(p, "connected", false))
                snprintf(state, sizeof state, "connected");
            else {
                char ago[24];
                s_ago(pv_get_int(p, "last_seen_ms_ago", -1), ago, sizeof ago);
                snprintf(state, sizeof state, "seen %s", ago);
            }
            snprintf(sent, sizeof sent, "%lld", (long long)pv_get_int(p, "sent", 0));
            snprintf(recv, sizeof recv, "%lld", (long long)pv_get_int(p, "received", 0));
            snprintf(rej, sizeof rej, "%lld", (long long)pv_get_int(p, "rejected", 0));
            int64_t ago = pv_get_int(p, "synced_ms_ago", -1), then = pv_get_int(p, "last_sync_ms", 0);
            uint64_t now = cli_now(c);
            if (ago < 0 && then > 0) /* not since buurtd started: from <home>/synced */
                ago = (int64_t)now > then ? (int64_t)now - then : 0;
            s_ago(ago, lag, sizeof lag);
            const char *addr = pv_get_str(p, "address");
            const char *row[] = {id, pv_get_str(p, "name"), addr && *addr ? addr : "(inbound)", state,
                                 sent, recv, rej, lag};
            table_row(t, row);
        }
        table_print(c, t);
        table_free(&t);
    }
    for (size_t i = 0; !c->json && notes && notes->type == PV_ARR && i < notes->u.a.n; i++)
        if (notes->u.a.items[i]->type == PV_STR)
            fprintf(c->out, "note: %s\n", notes->u.a.items[i]->u.s.p);
    free(marks);
    ctl_clear(&rep);
    return EXIT_OK;
}

/* Progress line for `sync --wait` on a terminal: asks buurtd for its peers
 * and shows how many are in sync and how many edits are still queued. */
static void s_sync_tick(void *ctx)
{
    cli_t *c = ctx;
    ctl_msg_t rep;
    if (cli_daemon_peers(c->home, 2000, &rep, NULL) < 0)
        return;
    const pv_t *l = rep.peers;
    int64_t up = 0, fresh = 0, queued = 0, received = 0;
    for (size_t i = 0; i < l->u.a.n; i++) {
        const pv_t *p = l->u.a.items[i];
        if (!pv_get_bool(p, "connected", false))
            continue;
        up++;
        int64_t ago = pv_get_int(p, "synced_ms_ago", -1);
        int64_t q = pv_get_int(p, "queued", 0);
        fresh += ago >= 0 && ago < 1000 && q == 0;
        queued += q;
        received += pv_get_int(p, "received", 0);
    }
    fprintf(c->err, "\rsyncing: %lld/%lld peers reconciled, %lld edits queued, %lld received, %lld stored   ",
            (long long)fresh, (long long)up, (long long)queued, (long long)received,
            (long long)pv_get_int(rep.node, "edits", 0));
    ctl_clear(&rep);
}

int cmd_sync(cli_t *c, int argc, char **argv)
{
    argc = s_strip_json(c, argc, argv);
    static const struct option lo[] = {{"wait", no_argument, NULL, 'w'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"digest", no_argument, NULL, 'd'},
                                       {"no-digest", no_argument, NULL, 'D'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    bool wait = false;
    int digest = -1; /* -1: on a terminal */
    int64_t timeout = 120;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (ch == 'w')
            wait = true;
        else if (ch == 'd' || ch == 'D')
            digest = ch == 'd';
        else if (ch == 't') {
            if (cli_int(c, "--timeout", optarg, 1, 86400, &timeout))
                return EXIT_USAGE;
        } else if (ch == 'h') {
            fprintf(c->out, "usage: buurt sync [--wait] [--timeout SECONDS] [--digest|--no-digest]\n\n"
                   "Starts a reconciliation with every connected peer now. With --wait,\n"
                   "returns when this node has reconciled with every reachable peer and\n"
                   "fetched what it lacked (default timeout 120 s; exit 1 on timeout,\n"
                   "exit 3 when no peer was reached). After --wait on a terminal (or with\n"
                   "--digest) it prints a digest of what changed while this node was away\n"
                   "and which of your edits lost (buurt changes, buurt conflicts).\n");
            return EXIT_OK;
        } else
            return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    bool tty = isatty(STDERR_FILENO) && !c->json; /* progress on stderr */
    if (tty && wait)
        fprintf(c->err, "syncing with reachable peers…");
    char *cause = NULL;
    ctl_msg_t rep;
    int rc = cli_daemon_sync(c->home, wait, (int)(timeout * 1000), tty && wait ? s_sync_tick : NULL,
                             c, &rep, &cause);
    if (tty && wait)
        fputc('\n', c->err);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    int64_t peers = rep.npeers;
    bool ok = rep.synced && peers > 0;
    ctl_clear(&rep);
    /* the truth about who was not reached: known peers not connected */
    ctl_msg_t st;
    buf_t unreached = {0}, names = {0};
    size_t nun = 0;
    if (cli_daemon_peers(c->home, 10000, &st, NULL) == 0) {
        for (size_t i = 0; st.peers && i < st.peers->u.a.n; i++) {
            const pv_t *p = st.peers->u.a.items[i];
            if (pv_get_bool(p, "connected", false) || !pv_get_bool(p, "member", true))
                continue;
            const char *id = pv_get_str(p, "id"), *nm = pv_get_str(p, "name"), *ad = pv_get_str(p, "address");
            buf_printf(&unreached, "%s{\"id\":\"%s\",\"name\":", nun ? "," : "", id ? id : "");
            json_str(&unreached, nm ? nm : "", nm ? strlen(nm) : 0);
            buf_append(&unreached, ",\"address\":", 11);
            json_str(&unreached, ad ? ad : "", ad ? strlen(ad) : 0);
            buf_putc(&unreached, '}');
            buf_printf(&names, "%s%s (%.10s%s%s)", nun ? ", " : "", nm && *nm ? nm : "unnamed", id ? id : "",
                       ad && *ad ? " at " : "", ad && *ad ? ad : "");
            nun++;
        }
        ctl_clear(&st);
    }
    if (c->json) {
        fprintf(c->out, "{\"peers\":%lld,\"synced\":%s,\"unreached\":[%.*s]}\n", (long long)peers,
                ok ? "true" : "false", (int)unreached.len, unreached.data ? (char *)unreached.data : "");
    } else if (peers == 0) {
        fprintf(c->err, "buurt: reached no peer%s; nothing was synced%s%s (see buurt doctor)\n",
                wait ? " within the timeout" : "", nun ? "; not reachable: " : "",
                nun ? buf_cstr(&names) : "");
    } else {
        if (ok)
            fprintf(c->out, "%s %lld peer%s\n", wait ? "in sync with" : "sync started with",
                    (long long)peers, peers == 1 ? "" : "s");
        else
            fprintf(c->err, "buurt: not every peer finished within %lld s; see buurt peers\n",
                    (long long)timeout);
        if (nun)
            fprintf(c->err, "buurt: not reachable: %s\n", buf_cstr(&names));
        if (ok && wait && (digest == 1 || (digest < 0 && tty))) {
            char a0[] = "changes", a1[] = "--digest";
            char *dv[] = {a0, a1, NULL};
            char *why = NULL;
            fflush(c->out);
            if (cli_daemon_exec(c, 2, dv, &why) < 0) {
                fprintf(c->err, "buurt: no digest: %s\n", why ? why : "?");
                free(why);
            }
        }
    }
    buf_free(&unreached);
    buf_free(&names);
    return peers == 0 ? EXIT_NOPEER : ok ? EXIT_OK : EXIT_FAIL;
}
