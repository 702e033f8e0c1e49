/*
 * cmd_edits.c -- `buurt edits`: every stored edit's id, one a line, with
 * its clock, kind, entity and author, ordered as reconciliation orders
 * items (hlc, then id). For debugging a store and for other
 * implementations' tests, which compare their set of edits with a
 * reference node's (docs/cli.md). Reads only the edits' envelopes.
 */
#include "cli/cli.h"
#include "proto/edit.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t id[32];
    edit_head_t h;
    bool held;
    size_t bytes; /* the edit's wire bytes */
} s_row_t;

typedef struct {
    repo_t *r;
    s_row_t *v;
    size_t n, cap;
} s_rows_t;

static int s_add(void *ctx, size_t i, const uint8_t *data, size_t len)
{
    s_rows_t *rs = ctx;
    edit_head_t h;
    if (edit_peek(data, len, &h) < 0)
        return 0; /* not an edit's layout: not listed */
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 256;
        rs->v = xrealloc(rs->v, rs->cap * sizeof *rs->v);
    }
    s_row_t *x = &rs->v[rs->n++];
    memcpy(x->id, repo_record_id(rs->r, i), 32);
    x->h = h;
    x->held = repo_is_held(rs->r, i);
    x->bytes = len;
    return 0;
}

static int s_cmp(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    if (x->h.hlc != y->h.hlc)
        return x->h.hlc < y->h.hlc ? -1 : 1;
    return memcmp(x->id, y->id, 32);
}

int cmd_edits(cli_t *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fprintf(c->out, "usage: buurt [--json] edits\n\n"
                            "Lists every edit in this node's store: id, clock (hlc), kind, entity\n"
                            "and author, ordered by clock then id; \"held\" marks an edit dated too\n"
                            "far ahead of this node's clock to count yet.\n");
            return EXIT_OK;
        }
        return cli_usage(c, "unexpected argument '%s'", argv[i]);
    }
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    s_rows_t rs = {.r = r};
    char *cause = NULL;
    int rc = repo_scan(r, s_add, &rs, &cause);
    if (rc < 0) {
        free(rs.v);
        return cli_fail(c, rc, cause);
    }
    if (rs.n)
        qsort(rs.v, rs.n, sizeof *rs.v, s_cmp);
    buf_t b = {0};
    if (c->json)
        buf_printf(&b, "{\"edits\":[");
    for (size_t i = 0; i < rs.n; i++) {
        const s_row_t *x = &rs.v[i];
        char id[65], ent[65], au[65];
        hex_encode(x->id, 32, id);
        hex_encode(x->h.entity, 32, ent);
        hex_encode(x->h.author, 32, au);
        if (c->json)
            buf_printf(&b, "%s{\"id\":\"%s\",\"hlc\":%llu,\"kind\":\"%s\",\"entity\":\"%s\","
                           "\"author\":\"%s\",\"held\":%s,\"bytes\":%zu}",
                       i ? "," : "", id, (unsigned long long)x->h.hlc, rec_kind_name(x->h.kind),
                       ent, au, x->held ? "true" : "false", x->bytes);
        else
            buf_printf(&b, "%s %llu %s %s %s%s\n", id, (unsigned long long)x->h.hlc,
                       rec_kind_name(x->h.kind), ent, au, x->held ? " held" : "");
    }
    if (c->json) {
        buf_printf(&b, "]}");
        cli_print_json(c, &b);
    } else {
        fwrite(b.data, 1, b.len, c->out);
    }
    buf_free(&b);
    free(rs.v);
    return EXIT_OK;
}
