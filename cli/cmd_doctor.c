/*
 * cmd_doctor.c -- `buurt doctor`: checks, in one go, what a volunteer
 * cannot see: the home's permissions, free disk space, whether buurtd runs,
 * the store, the mesh role, the clock, beacons and peers. One line per
 * check (ok, WARN or FAIL); exit 0 only when every check is ok.
 *
 * With buurtd running, the daemon holds the store: the checks of the store,
 * clock, beacons and peers come from its status (the same as `buurt peers
 * --json`). Without it, the store is opened here, and what only a running
 * daemon knows is reported as a warning.
 */
#include "cli/cli.h"
#include "node/home.h"
#include "node/members.h"
#include "proto/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#define DOCTOR_DISK_FAIL (50ull << 20)  /* free bytes below which writing will fail soon */
#define DOCTOR_DISK_WARN (500ull << 20)

typedef enum { D_OK = 0, D_WARN = 1, D_FAIL = 2 } d_status_t;

typedef struct {
    cli_t *c;
    buf_t json;
    size_t n;
    d_status_t worst;
} doctor_t;

static void s_check(doctor_t *d, const char *name, d_status_t st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_check(doctor_t *d, const char *name, d_status_t st, const char *fmt, ...)
{
    char detail[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    static const char *const words[] = {"ok", "warn", "fail"};
    if (st > d->worst)
        d->worst = st;
    if (d->c->json) {
        buf_printf(&d->json, "%s{\"check\":\"%s\",\"status\":\"%s\",\"detail\":", d->n ? "," : "", name,
                   words[st]);
        json_str(&d->json, detail, strlen(detail));
        buf_putc(&d->json, '}');
    } else {
        buf_t b = {0};
        text_escape(&b, detail);
        fprintf(d->c->out, "%-5s %-9s %s\n", st == D_OK ? "ok" : st == D_WARN ? "WARN" : "FAIL", name,
                buf_cstr(&b));
        buf_free(&b);
    }
    d->n++;
}

/* The home and its files: only this user may read them. */
static void s_home(doctor_t *d)
{
    const char *home = d->c->home;
    struct stat st;
    if (stat(home, &st) != 0) {
        s_check(d, "home", D_FAIL, "%s: %s (run: buurt --home %s init --name NAME)", home, strerror(errno),
                home);
        return;
    }
    static const home_file_t files[] = {HOME_KEY, HOME_CONFIG, HOME_PEERS, HOME_INVITES, HOME_PID};
    char bad[300] = "";
    if (st.st_mode & 077)
        snprintf(bad, sizeof bad, "%s is mode %03o", home, (unsigned)(st.st_mode & 0777));
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !bad[0]; i++) {
        char *p = home_path(home, files[i]);
        if (stat(p, &st) == 0 && (st.st_mode & 077))
            snprintf(bad, sizeof bad, "%s is mode %03o", p, (unsigned)(st.st_mode & 0777));
        free(p);
    }
    if (bad[0])
        s_check(d, "home", D_FAIL, "%s: others can read it (chmod go-rwx)", bad);
    else
        s_check(d, "home", D_OK, "%s, readable by this user only", home);
}

static void s_disk(doctor_t *d)
{
    struct statvfs v;
    if (statvfs(d->c->home, &v) != 0) {
        s_check(d, "disk", D_WARN, "cannot tell the free space: %s", strerror(errno));
        return;
    }
    unsigned long long avail = (unsigned long long)v.f_bavail * v.f_frsize;
    d_status_t st = avail < DOCTOR_DISK_FAIL ? D_FAIL : avail < DOCTOR_DISK_WARN ? D_WARN : D_OK;
    s_check(d, "disk", st, "%llu MB free%s", avail >> 20,
            st == D_OK ? "" : ": new edits cannot be stored once it is full; free some space");
}

/* The store, opened here (no buurtd). */
static void s_store_local(doctor_t *d)
{
    repo_t *r = NULL;
    char *cause = NULL;
    int rc = repo_open(d->c->home, &r, &cause);
    if (rc < 0) {
        s_check(d, "store", D_FAIL, "%s", cause ? cause : bu_strerror(rc));
        free(cause);
        return;
    }
    const store_report_t *rep = repo_report(r);
    if (rep->corrupt_regions)
        s_check(d, "store", D_WARN,
                "%zu edits; %zu damaged region%s (%llu bytes) skipped: start buurtd, it fetches them "
                "again from a peer and then removes the damage",
                repo_edit_count(r), rep->corrupt_regions, rep->corrupt_regions == 1 ? "" : "s",
                (unsigned long long)rep->corrupt_bytes);
    else
        s_check(d, "store", D_OK, "%zu edits, opened cleanly%s", repo_edit_count(r),
                rep->tail_cut_bytes ? " (a torn last write was cut off)" : "");
    const uint8_t *mesh = repo_mesh(r);
    if (!mesh) {
        s_check(d, "mesh", D_WARN, "this node is in no mesh (buurt join CODE, or buurt mesh create NAME)");
    } else {
        const members_t *m = repo_members(r);
        const member_t *me = m ? members_find(m, repo_key(r)->pk) : NULL;
        if (!me)
            s_check(d, "mesh", D_WARN, "not admitted yet: an admin runs buurt member add %s --name NAME",
                    repo_key(r)->id);
        else if (me->revoked)
            s_check(d, "mesh", D_FAIL, "this node was revoked from the mesh");
        else
            s_check(d, "mesh", D_OK, "%s of the mesh", members_role_name(me->role));
    }
    repo_close(&r);
}

/* What the running buurtd says (buurt peers --json). */
static void s_daemon(doctor_t *d, const ctl_msg_t *rep)
{
    const pv_t *st = rep->node, *peers = rep->peers;
    s_check(d, "buurtd", D_OK, "runs (pid %lld)", (long long)pv_get_int(st, "pid", 0));
    /* the store: damage notes come with the status */
    const pv_t *notes = pv_map_get(st, "notes");
    const char *damage = NULL;
    for (size_t i = 0; notes && notes->type == PV_ARR && i < notes->u.a.n; i++)
        if (notes->u.a.items[i]->type == PV_STR && strncmp(notes->u.a.items[i]->u.s.p, "store:", 6) == 0)
            damage = notes->u.a.items[i]->u.s.p;
    if (damage)
        s_check(d, "store", D_WARN, "%s", damage);
    else
        s_check(d, "store", D_OK, "%lld edits, no damage", (long long)pv_get_int(st, "edits", 0));
    const char *role = pv_get_str(st, "role");
    if (!role || !strcmp(role, "no mesh"))
        s_check(d, "mesh", D_WARN, "this node is in no mesh (buurt join CODE, or buurt mesh create NAME)");
    else if (!strcmp(role, "none"))
        s_check(d, "mesh", D_WARN, "not admitted yet: an admin must add this node (buurt id shows its id)");
    else if (!strcmp(role, "revoked"))
        s_check(d, "mesh", D_FAIL, "this node was revoked from the mesh");
    else
        s_check(d, "mesh", D_OK, "%s of the mesh", role);
    /* the clock, against the peers' */
    int64_t err = pv_get_int(st, "clock_error_ms", 0);
    size_t connected = 0;
    for (size_t i = 0; peers && i < peers->u.a.n; i++)
        connected += pv_get_bool(peers->u.a.items[i], "connected", false);
    if (err != 0)
        s_check(d, "clock", D_FAIL, "this node's clock seems %lld minutes %s its peers': set it right "
                "(its edits still sync, but the others' count here only when its clock gets there)",
                (long long)((err < 0 ? -err : err) / 60000), err < 0 ? "behind" : "ahead of");
    else if (connected < 2)
        s_check(d, "clock", D_OK, "no disagreement seen (%zu peer%s to compare with)", connected,
                connected == 1 ? "" : "s");
    else
        s_check(d, "clock", D_OK, "agrees with its %zu peers", connected);
    /* beacons */
    const pv_t *bc = pv_map_get(st, "beacons");
    if (!bc) {
        s_check(d, "beacons", D_OK, "off (--no-beacon): peers come from buurt peer add");
    } else {
        char on[200] = "", bad[200] = "";
        for (size_t i = 0; bc->type == PV_ARR && i < bc->u.a.n; i++) {
            const pv_t *x = bc->u.a.items[i];
            const char *e = pv_get_str(x, "error");
            char *dst = e && *e ? bad : on;
            size_t l = strlen(dst);
            snprintf(dst + l, 200 - l, "%s%s", l ? ", " : "", pv_get_str(x, "interface"));
        }
        if (bad[0])
            s_check(d, "beacons", D_WARN, "not sent on %s%s%s", bad, on[0] ? "; sent on " : "", on);
        else if (on[0])
            s_check(d, "beacons", D_OK, "sent on %s", on);
        else if (!role || !strcmp(role, "no mesh"))
            s_check(d, "beacons", D_WARN, "none until this node is in a mesh");
        else
            s_check(d, "beacons", D_WARN, "no network interface is up: LAN peers cannot find this node");
    }
    /* peers: every static one reachable, someone connected */
    char unreach[300] = "";
    for (size_t i = 0; peers && i < peers->u.a.n; i++) {
        const pv_t *p = peers->u.a.items[i];
        if (pv_get_bool(p, "static", false) && !pv_get_bool(p, "connected", false)) {
            size_t l = strlen(unreach);
            snprintf(unreach + l, sizeof unreach - l, "%s%.10s (%s)", l ? ", " : "", pv_get_str(p, "id"),
                     pv_get_str(p, "address"));
        }
    }
    if (unreach[0])
        s_check(d, "peers", D_WARN, "%zu connected; not reachable: %s", connected, unreach);
    else if (connected == 0)
        s_check(d, "peers", D_WARN, "no peer connected: nothing syncs (on the LAN beacons find them; "
                "elsewhere: buurt peer add)");
    else
        s_check(d, "peers", D_OK, "%zu connected", connected);
    /* held edits, flooding members */
    int64_t held = pv_get_int(st, "held", 0);
    if (held)
        s_check(d, "held", D_WARN, "%lld edits dated in the future are held (buurt peers says whose)",
                (long long)held);
    const pv_t *over = pv_map_get(st, "over_quota");
    if (over && over->type == PV_ARR && over->u.a.n)
        s_check(d, "quota", D_WARN, "%zu member%s sent more edits than the mesh allows (buurt peers)",
                over->u.a.n, over->u.a.n == 1 ? "" : "s");
}

int cmd_doctor(cli_t *c, int argc, char **argv)
{
    bool json = c->json;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fprintf(c->out, "usage: buurt doctor [--json]\n\n"
                            "Checks this node: the home's permissions, free disk space, whether buurtd\n"
                            "runs, the store, its place in the mesh, its clock against its peers',\n"
                            "beacons and peers. One line per check (ok, WARN or FAIL) with what to do;\n"
                            "exits 0 only when every check is ok, 1 otherwise.\n");
            return EXIT_OK;
        } else {
            return cli_usage(c, "unexpected argument '%s'", argv[i]);
        }
    }
    c->json = json;
    doctor_t d = {.c = c};
    s_home(&d);
    s_disk(&d);
    ctl_msg_t rep;
    char *cause = NULL;
    int rc = cli_daemon_peers(c->home, 5000, &rep, &cause);
    if (rc == 0) {
        s_daemon(&d, &rep);
        ctl_clear(&rep);
    } else {
        s_check(&d, "buurtd", rc == BU_ENOENT ? D_WARN : D_FAIL, "%s", cause ? cause : bu_strerror(rc));
        free(cause);
        if (rc == BU_ENOENT)
            s_store_local(&d);
    }
    if (json) {
        buf_t b = {0};
        buf_printf(&b, "{\"ok\":%s,\"checks\":[", d.worst == D_OK ? "true" : "false");
        buf_append(&b, d.json.data, d.json.len);
        buf_append(&b, "]}", 2);
        cli_print_json(c, &b);
        buf_free(&b);
    }
    buf_free(&d.json);
    return d.worst == D_OK ? EXIT_OK : EXIT_FAIL;
}
