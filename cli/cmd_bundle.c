/*
 * cmd_bundle.c -- `buurt bundle create` and `buurt bundle apply`: a mesh's
 * signed edits carried on a USB stick to a node no network reaches
 * (node/bundle.h has the format and the rules; docs/cli.md the command).
 *
 * Both run in buurtd when it runs (a write: apply stores edits, create
 * moves the home's last-bundle mark). buurtd's working directory is not
 * the caller's, so the CLI makes FILE absolute before it forwards the
 * command (cli_forward_args); inside buurtd a relative FILE is
 * refused. While buurtd applies a bundle it does nothing else: about
 * 100,000 edits per 5 s of one core here (docs/performance.md).
 */
#include "cli/cli.h"
#include "node/bundle.h"
#include "node/file.h"
#include "node/members.h"
#include "proto/record.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUNDLE_SHOW_REJECTS 20 /* rejected edits named in text output */

static void s_json_str(buf_t *b, const char *s)
{
    buf_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            buf_printf(b, "\\u%04x", *p);
        else
            buf_append(b, p, 1);
    }
    buf_printf(b, "\"");
}

/* Inside buurtd a file must be named absolutely (the CLI does that). */
static bool s_path_ok(cli_t *c, const char *path)
{
    if (c->in_daemon && path[0] != '/') {
        fprintf(c->err, "buurt: bundle: buurtd runs this command, so the file must be given as "
                        "an absolute path (/media/stick/buurt.bundle), not '%s'\n", path);
        return false;
    }
    return true;
}

static const char *s_mesh_name(repo_t *r)
{
    const members_t *m = repo_members(r);
    return m && m->mesh_name[0] ? m->mesh_name : "";
}

/* ---------------------------------------------------------------- create */

static int s_create(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"since", required_argument, NULL, 's'},
                                       {"area", required_argument, NULL, 'a'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *since = NULL, *area = NULL, *path = NULL;
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":ho:", lo, NULL)) != -1) {
        switch (ch) {
        case 's': since = optarg; break;
        case 'a': area = optarg; break;
        case 'o': path = optarg; break;
        case 'j': c->json = true; break;
        case 'h':
            fprintf(c->out,
                    "usage: buurt bundle create [--since TIME|last-bundle] [--area AREA] -o FILE\n\n"
                    "Writes this node's signed edits to FILE, for a USB stick to carry to a\n"
                    "node of the same mesh that no network reaches (buurt bundle apply FILE\n"
                    "there). Every membership certificate and the mesh settings always go\n"
                    "in, so the edits verify on any node of the mesh.\n\n"
                    "  --since TIME       only edits made then or later (2d, 6h, 2026-11-28,\n"
                    "                     2026-11-28T14:00)\n"
                    "  --since last-bundle  only edits this node stored since it last made a\n"
                    "                     bundle\n"
                    "  --area AREA        only records of that area, bulletins for every area,\n"
                    "                     and the coalitions, places and offers they name\n"
                    "  -o, --output FILE  where to write the bundle\n");
            return EXIT_OK;
        default: return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    if (!path || !*path)
        return cli_usage(c, "-o FILE is required: where to write the bundle");
    if (area && !*area)
        return cli_usage(c, "--area needs a name");
    if (!s_path_ok(c, path))
        return EXIT_USAGE;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    uint64_t now = cli_now(c);
    bundle_sel_t sel = {.area = area};
    char desc[120] = "every edit";
    bool lost = false;
    if (since && strcmp(since, "last-bundle") == 0) {
        bundle_mark_t m;
        bundle_mark_load(c->home, &m);
        sel.since_pos = bundle_mark_pos(r, &m, &lost);
        if (m.ms && !lost) {
            char t[24];
            cli_fmt_time(m.ms, t, sizeof t);
            snprintf(desc, sizeof desc, "edits stored since the last bundle (%s UTC)", t);
        } else if (m.ms) {
            snprintf(desc, sizeof desc, "every edit (the last bundle's mark was purged since)");
        } else {
            snprintf(desc, sizeof desc, "every edit (no bundle was made here before)");
        }
    } else if (since) {
        int64_t t = cli_time(since, now);
        if (t > (int64_t)now) /* a duration: that long ago */
            t = (int64_t)now - (t - (int64_t)now);
        if (t < 0)
            return cli_usage(c, "--since takes last-bundle or a time (2d, 6h, 2026-11-28[THH:MM]), "
                                "not '%s'", since);
        sel.since_ms = (uint64_t)t;
        char ts[24];
        cli_fmt_time((uint64_t)t, ts, sizeof ts);
        snprintf(desc, sizeof desc, "edits made since %s UTC", ts);
    }
    char *cause = NULL;
    bundle_mark_t mark;
    bundle_mark_now(r, now, &mark);
    buf_t out = {0};
    bundle_made_t st;
    int rc = bundle_make(r, &sel, now, &out, &st, &cause);
    if (rc == 0)
        rc = file_write_atomic(path, out.data, out.len, 0600, &cause);
    size_t bytes = out.len;
    buf_free(&out);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    if (bundle_mark_save(c->home, &mark, &cause) < 0) {
        /* the bundle is good; only the next --since last-bundle is wider */
        fprintf(c->err, "buurt: warning: %s\n", cause ? cause : "cannot save the bundle mark");
        free(cause);
    }
    if (c->json) {
        buf_t b = {0};
        char mesh[65];
        hex_encode(repo_mesh(r), 32, mesh);
        buf_printf(&b, "{\"file\":");
        s_json_str(&b, path);
        buf_printf(&b, ",\"mesh\":\"%s\",\"edits\":%zu,\"certificates\":%zu,\"records\":%zu,"
                       "\"held_left_out\":%zu,\"bytes\":%zu,\"made_ms\":%" PRIu64
                       ",\"since_ms\":%" PRIu64 ",\"since_position\":%zu,\"area\":",
                   mesh, st.edits, st.certs, st.records, st.held, bytes, now, sel.since_ms,
                   sel.since_pos);
        if (area)
            s_json_str(&b, area);
        else
            buf_printf(&b, "null");
        buf_printf(&b, "}");
        cli_print_json(c, &b);
        buf_free(&b);
        return EXIT_OK;
    }
    fprintf(c->out, "wrote %s: %zu edits of %zu records (%zu membership certificates), %.1f KB\n",
            path, st.edits, st.records, st.certs, (double)bytes / 1024.0);
    fprintf(c->out, "  %s%s%s\n", desc, area ? ", area " : "", area ? area : "");
    if (st.held)
        fprintf(c->out, "  left out %zu edits dated ahead of this node's clock (held here)\n",
                st.held);
    fprintf(c->out, "carry it to a node of mesh %s and run there: buurt bundle apply FILE\n",
            s_mesh_name(r)[0] ? s_mesh_name(r) : "(this mesh)");
    return EXIT_OK;
}

/* ---------------------------------------------------------------- apply */

/* Maps the file read-only into *data (NULL for an empty file). */
static int s_map(const char *path, uint8_t **data, size_t *len, char **cause)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bu_fail(cause, errno == ENOENT ? BU_ENOENT : BU_EIO, "cannot open %s: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bu_fail(cause, BU_EINVAL, "%s is not a file", path);
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return bu_fail(cause, BU_EIO, "cannot read %s: %s", path, strerror(errno));
        }
        *data = p;
        *len = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

static void s_print_apply(cli_t *c, repo_t *r, const bundle_t *b, const bundle_result_t *res)
{
    char mesh[65], t[24] = "";
    hex_encode(b->mesh, 32, mesh);
    if (b->ended)
        cli_fmt_time(b->made_ms, t, sizeof t);
    size_t missing = b->ended && b->declared > b->nitems ? (size_t)(b->declared - b->nitems) : 0;
    if (c->json) {
        buf_t j = {0};
        buf_printf(&j, "{\"mesh\":\"%s\",\"made_ms\":%" PRIu64 ",\"edits\":%zu,\"new\":%zu,"
                       "\"held\":%zu,\"known\":%zu,\"rejected\":%zu,\"complete\":%s,"
                       "\"missing\":%zu,\"rejects\":[",
                   mesh, b->ended ? b->made_ms : 0, res->edits, res->added + res->held, res->held,
                   res->known, res->rejected,
                   b->ended && b->ndamage == 0 && missing == 0 ? "true" : "false", missing);
        for (size_t i = 0; i < res->nrej; i++) {
            const bundle_reject_t *x = &res->rej[i];
            char id[65];
            hex_encode(x->id, 32, id);
            buf_printf(&j, "%s{\"id\":\"%s\",\"kind\":", i ? "," : "", id);
            if (x->kind >= 0)
                buf_printf(&j, "\"%s\"", rec_kind_name((rec_kind_t)x->kind));
            else
                buf_printf(&j, "null");
            buf_printf(&j, ",\"offset\":%" PRIu64 ",\"reason\":", x->off);
            s_json_str(&j, x->why);
            buf_printf(&j, "}");
        }
        buf_printf(&j, "],\"damaged\":[");
        for (size_t i = 0; i < b->ndamage; i++)
            buf_printf(&j, "%s{\"from\":%" PRIu64 ",\"to\":%" PRIu64 "}", i ? "," : "",
                       b->damage[i].from, b->damage[i].to);
        buf_printf(&j, "]}");
        cli_print_json(c, &j);
        buf_free(&j);
        return;
    }
    const char *name = s_mesh_name(r);
    fprintf(c->out, "bundle of mesh %s%s%.10s%s", name, name[0] ? " (" : "", mesh,
            name[0] ? ")" : "");
    if (b->ended)
        fprintf(c->out, ", made %s UTC", t);
    fprintf(c->out, ": %zu edits\n", res->edits);
    fprintf(c->out, "new %zu, already known %zu, rejected %zu\n", res->added + res->held,
            res->known, res->rejected);
    if (res->held)
        fprintf(c->out, "  %zu of the new edits are dated ahead of this node's clock: they count "
                        "once the clock gets there (is it right?)\n", res->held);
    for (size_t i = 0; i < res->nrej && i < BUNDLE_SHOW_REJECTS; i++) {
        const bundle_reject_t *x = &res->rej[i];
        char id[11];
        cli_short_id(x->id, id);
        fprintf(c->out, "rejected %s %s at byte %" PRIu64 ": %s\n", id,
                x->kind >= 0 ? rec_kind_name((rec_kind_t)x->kind) : "edit", x->off, x->why);
    }
    if (res->rejected > BUNDLE_SHOW_REJECTS)
        fprintf(c->out, "... and %zu more rejected (--json lists %zu)\n",
                res->rejected - BUNDLE_SHOW_REJECTS, res->nrej);
    for (size_t i = 0; i < b->ndamage; i++)
        fprintf(c->out, "damaged: bytes %" PRIu64 "-%" PRIu64 " (%" PRIu64 " bytes)%s\n",
                b->damage[i].from, b->damage[i].to - 1, b->damage[i].to - b->damage[i].from,
                b->damage[i].from == 0 && !b->head_ok ? ", the head" : "");
    if (!b->ended)
        fprintf(c->out, "incomplete: the bundle's end is missing (cut short or damaged); edits "
                        "after the last intact one may be lost\n");
    else if (missing)
        fprintf(c->out, "incomplete: %zu of the %" PRIu64 " edits the bundle lists could not be "
                        "read\n", missing, b->declared);
    if (b->ndamage || !b->ended || missing)
        fprintf(c->out, "every intact edit was applied; for the rest, copy the bundle again or "
                        "make a new one\n");
}

static int s_apply(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    int ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'j': c->json = true; break;
        case 'h':
            fprintf(c->out,
                    "usage: buurt bundle apply FILE\n\n"
                    "Verifies every edit of a bundle exactly as an edit arriving from a peer\n"
                    "(signature, schema, its author a member at its clock, quotas) and stores\n"
                    "the good ones; buurtd passes them on to its peers. Prints how many were\n"
                    "new, already known and rejected (with the reason for each) and names any\n"
                    "damaged part of the file. Applying a bundle twice changes nothing. Exit 1\n"
                    "when an edit was rejected or part of the file was damaged.\n");
            return EXIT_OK;
        default: return cli_usage(c, "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cli_usage(c, "give one bundle file");
    const char *path = argv[optind];
    if (!s_path_ok(c, path))
        return EXIT_USAGE;
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    uint8_t *data;
    size_t len;
    char *cause = NULL;
    int rc = s_map(path, &data, &len, &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    bundle_t b;
    rc = bundle_read(data ? data : (const uint8_t *)"", len, &b, &cause);
    if (rc < 0) {
        if (data)
            munmap(data, len);
        rc = cli_err(c, EXIT_FAIL, "%s: %s", path, cause ? cause : "not a bundle");
        free(cause);
        return rc;
    }
    bundle_result_t res;
    rc = bundle_apply(r, &b, &res, &cause);
    int code = EXIT_OK;
    if (rc < 0) {
        code = cli_err(c, EXIT_FAIL, "%s: %s", path, cause ? cause : bu_strerror(rc));
        free(cause);
        /* a store failure after some batches: say what was stored */
        if (res.added + res.held)
            s_print_apply(c, r, &b, &res);
    } else {
        s_print_apply(c, r, &b, &res);
        size_t missing = b.ended && b.declared > b.nitems ? (size_t)(b.declared - b.nitems) : 0;
        if (res.rejected || b.ndamage || !b.ended || missing)
            code = EXIT_FAIL;
    }
    bundle_result_clear(&res);
    bundle_clear(&b);
    if (data)
        munmap(data, len);
    return code;
}

/* ---------------------------------------------------------------- the command */

int cmd_bundle(cli_t *c, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return s_create(c, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "apply") == 0)
        return s_apply(c, argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fprintf(c->out, "usage: buurt bundle create [--since TIME|last-bundle] [--area AREA] -o FILE\n"
                        "       buurt bundle apply FILE\n\n"
                        "Carry a mesh's signed edits on a USB stick to a node no network reaches.\n"
                        "`buurt bundle create --help` and `buurt bundle apply --help` say more.\n");
        return EXIT_OK;
    }
    return cli_usage(c, "bundle create ... -o FILE, or bundle apply FILE");
}

