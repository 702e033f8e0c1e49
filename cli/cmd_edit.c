/*
 * cmd_edit.c -- commands that write: init, id, place, need, offer,
 * coalition, bulletin, delete.
 *
 * Add and edit commands are driven by option tables (opt_t): each option
 * names the record field it sets; the field's type, choices, limits,
 * whether creating needs it and its help come from the schema
 * (proto/record.c), so the two cannot drift apart. Every value is checked
 * here for a readable message, and again by rec_validate when the edit is
 * signed.
 */
#include "cli/cli.h"
#include "node/members.h"
#include "node/private.h"
#include "node/query.h"
#include "node/home.h"
#include "node/setup.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A change names its record (and the records it refers to) by at least
 * this many digits of its id: a slip like `place status 0 open` must not
 * change some record (issue 11). Reads take any unique prefix. */
#define WRITE_ID_MIN 4

typedef enum {
    O_AUTO,   /* as the field's schema type says (proto/record.c) */
    O_TEXT,   /* free text */
    O_ENUM,   /* one token of tokens */
    O_ENUMS,  /* comma list of tokens */
    O_LANGS,  /* comma list of ISO 639-1 codes */
    O_STRS,   /* comma list of short texts */
    O_INT,    /* integer in [min, max] */
    O_COORD,  /* decimal degrees, stored as microdegrees */
    O_FLAG,   /* no argument: sets true */
    O_TIME,   /* duration from now or date */
    O_REF,    /* id (prefix) of an entity of kinds (bit set of rec_kind_t) */
    O_NODES,  /* comma list of full node ids (64 hex digits) */
    O_LOCAL,  /* not a field: handled by the command */
} opt_kind_t;

/*
 * One option of a command that writes a record. What a field holds (its
 * type, tokens, limits, whether creating needs it, its help) is the
 * schema's (proto/record.c, rec_field): an option only names the field, how
 * the CLI reads it when that is not plain (degrees, a time, an id prefix),
 * and its argument's name. s_opt_resolve fills in the rest.
 */
typedef struct {
    const char *opt;     /* long option name */
    const char *field;   /* record field it sets, or NULL for O_LOCAL */
    opt_kind_t kind;     /* O_AUTO, or how the CLI reads the value */
    int64_t refkinds;    /* O_REF: bit set of kinds it may name */
    const char *arg;     /* argument name for help, NULL for flags */
    const char *help;    /* NULL: the schema's help of the field */
    bool required;       /* this command needs it even where creating does not */
} opt_t;

/* An option with what the schema says about its field. */
typedef struct {
    const opt_t *o;
    opt_kind_t kind;
    const char *const *tokens;
    int64_t min, max;
    bool required;
    const char *help;
} ropt_t;

#define KB(k) (1 << (k))

/* The way past the personal-data guard (s_privacy), for an organisation's
 * own public contact written in free text. */
#define OPT_ALLOW_CONTACT                                                                     \
    {"allow-contact-details", NULL, O_LOCAL, 0, NULL,                                         \
     "accept text that looks like personal data (for an organisation's public contact)", false}

static const opt_t s_place_opts[] = {
    {"name", "name", O_AUTO, 0, "NAME", NULL, false},
    {"kind", "kinds", O_AUTO, 0, "KIND[,KIND]", NULL, false},
    {"address", "address", O_AUTO, 0, "TEXT", NULL, false},
    {"area", "area", O_AUTO, 0, "AREA", NULL, false},
    {"lat", "lat", O_COORD, 0, "DEG", "latitude in decimal degrees", false},
    {"lon", "lon", O_COORD, 0, "DEG", "longitude in decimal degrees", false},
    {"lang", "langs", O_AUTO, 0, "LL[,LL]", NULL, false},
    {"hours", "hours", O_AUTO, 0, "TEXT", NULL, false},
    {"access", "access", O_AUTO, 0, "TEXT", NULL, false},
    {"functions", "functions", O_AUTO, 0, "F[,F]", NULL, false},
    {"contact", "contact", O_AUTO, 0, "TEXT", NULL, false},
    {"status", "status", O_AUTO, 0, "STATUS", NULL, false},
    {"note", "status_note", O_AUTO, 0, "TEXT", NULL, false},
    {"capacity", "capacity", O_AUTO, 0, "N", NULL, false},
    {"channels", "channels", O_AUTO, 0, "C[,C]", NULL, false},
    {"reaches", "reaches", O_AUTO, 0, "GROUP[,GROUP]", NULL, false},
    {"hub", "hub", O_AUTO, 0, NULL, NULL, false},
    {"editors", "editors", O_AUTO, 0, "NODE[,NODE]", NULL, false},
    OPT_ALLOW_CONTACT,
    {NULL, NULL, 0, 0, NULL, NULL, false}};

static const opt_t s_need_opts[] = {
    {"category", "category", O_AUTO, 0, "CAT", NULL, false},
    {"summary", "summary", O_AUTO, 0, "TEXT", NULL, false},
    {"area", "area", O_AUTO, 0, "AREA", NULL, false},
    {"lang", "langs", O_AUTO, 0, "LL[,LL]", NULL, false},
    {"urgency", "urgency", O_AUTO, 0, "U", NULL, false},
    {"people", "people", O_AUTO, 0, "N", NULL, false},
    {"expires", "expires", O_TIME, 0, "WHEN", "expiry: 14d (default), 48h, or a date 2026-12-01", false},
    {"coalition", "coalition", O_REF, KB(REC_COALITION), "ID", NULL, false},
    {"no-duplicates", NULL, O_LOCAL, 0, NULL, "refuse (exit 1) when an open need looks the same", false},
    OPT_ALLOW_CONTACT,
    {NULL, NULL, 0, 0, NULL, NULL, false}};

static const opt_t s_offer_opts[] = {
    {"provider", "provider", O_REF, KB(REC_PLACE) | KB(REC_COALITION), "ID", NULL, false},
    {"category", "categories", O_AUTO, 0, "CAT[,CAT]", NULL, false},
    {"area", "area", O_AUTO, 0, "AREA", NULL, false},
    {"lang", "langs", O_AUTO, 0, "LL[,LL]", NULL, false},
    {"capacity", "capacity", O_AUTO, 0, "N", NULL, false},
    {"until", "until", O_TIME, 0, "WHEN", "valid until: 7d, or a date", false},
    {"note", "note", O_AUTO, 0, "TEXT", NULL, false},
    OPT_ALLOW_CONTACT,
    {NULL, NULL, 0, 0, NULL, NULL, false}};

static const opt_t s_coalition_opts[] = {
    {"name", "name", O_AUTO, 0, "NAME", NULL, false},
    {"purpose", "purpose", O_AUTO, 0, "TEXT", NULL, false},
    {"area", "area", O_AUTO, 0, "AREA", NULL, false},
    {"functions", "functions", O_AUTO, 0, "F[,F]", NULL, false},
    {"contact", "contact", O_AUTO, 0, "TEXT", NULL, false},
    {"coordinators", "coordinators", O_AUTO, 0, "NODE[,NODE]", NULL, false},
    {"private", "private", O_AUTO, 0, NULL, NULL, false},
    {"nodes", "nodes", O_AUTO, 0, "NODE[,NODE]", NULL, false},
    {NULL, NULL, 0, 0, NULL, NULL, false}};

static const opt_t s_bulletin_opts[] = {
    {"title", "title", O_AUTO, 0, "TEXT", NULL, false},
    {"body", "body", O_AUTO, 0, "TEXT", NULL, false},
    {"lang", "langs", O_AUTO, 0, "LL[,LL]", NULL, false},
    {"source", "source", O_AUTO, 0, "TEXT", NULL, false},
    {"replaces", "replaces", O_REF, KB(REC_BULLETIN), "ID", NULL, false},
    {"area", "area", O_AUTO, 0, "AREA", NULL, false},
    {"translation-of", "translation_of", O_REF, KB(REC_BULLETIN), "ID", NULL, false},
    OPT_ALLOW_CONTACT,
    {NULL, NULL, 0, 0, NULL, NULL, false}};

static const opt_t s_no_opts[] = {{NULL, NULL, 0, 0, NULL, NULL, false}};

/* What the schema says about o's field in records of kind (REC__COUNT:
 * the first kind that has such a field). */
static ropt_t s_opt_resolve(rec_kind_t kind, const opt_t *o)
{
    ropt_t r = {.o = o, .kind = o->kind, .help = o->help, .required = o->required};
    const field_spec_t *f = NULL;
    for (int k = 0; o->field && !f && k < REC__COUNT; k++)
        if (kind == REC__COUNT || k == (int)kind)
            f = rec_field((rec_kind_t)k, o->field);
    if (!f)
        return r; /* O_LOCAL, or a field of a field (a coalition member's) */
    r.tokens = f->tokens;
    r.min = f->min;
    r.max = f->max;
    r.required = r.required || f->required;
    if (!r.help)
        r.help = f->help;
    if (r.kind == O_AUTO) {
        switch (f->type) {
        case FT_ENUM: r.kind = O_ENUM; break;
        case FT_ENUMS: r.kind = O_ENUMS; break;
        case FT_LANGS: r.kind = O_LANGS; break;
        case FT_STRS: r.kind = O_STRS; break;
        case FT_INT: r.kind = O_INT; break;
        case FT_BOOL: r.kind = O_FLAG; break;
        case FT_IDS: r.kind = O_NODES; break;
        default: r.kind = O_TEXT; break;
        }
    }
    if (r.kind == O_COORD) { /* stored in microdegrees, read in degrees */
        r.min /= 1000000;
        r.max /= 1000000;
    }
    return r;
}

/* ---------------------------------------------------------------- parsing */

typedef struct {
    pv_t *fields;       /* parsed field values */
    char **pos;         /* positional arguments */
    int npos;
    bool local[32];     /* O_LOCAL flags seen, by option index */
    bool help;
} parsed_t;

static void s_parsed_free(parsed_t *p)
{
    pv_free(&p->fields);
    free(p->pos);
}

static void s_help(cli_t *c, rec_kind_t kind, const char *usage, const opt_t *opts,
                   const char *extra)
{
    bool add = strstr(usage, " add") != NULL || strncmp(usage, "init", 4) == 0 ||
               strstr(usage, "claim") != NULL;
    fprintf(c->out, "usage: buurt %s\n", usage);
    if (extra)
        fprintf(c->out, "\n%s\n", extra);
    if (opts && opts->opt) {
        fprintf(c->out, "\noptions:\n");
        for (const opt_t *o = opts; o->opt; o++) {
            ropt_t r = s_opt_resolve(kind, o);
            char left[64], tokens[400] = "";
            snprintf(left, sizeof left, "--%s%s%s", o->opt, o->arg ? " " : "", o->arg ? o->arg : "");
            for (const char *const *t = r.tokens; t && *t; t++) /* the choices, from the schema */
                snprintf(tokens + strlen(tokens), sizeof tokens - strlen(tokens), "%s%s",
                         t == r.tokens ? ": " : ", ", *t);
            fprintf(c->out, "  %-26s %s%s%s\n", left, r.help ? r.help : "", tokens,
                    r.required && add ? " (required)" : "");
        }
    }
    fprintf(c->out, "  %-26s %s\n  %-26s %s\n", "--json", "print the result as JSON", "--help", "this help");
    (void)c;
}

/* Converts one option argument into a field value; returns 0 or 2. */
static int s_value(cli_t *c, const ropt_t *o, const char *arg, pv_t **out)
{
    char name[40];
    snprintf(name, sizeof name, "--%s", o->o->opt);
    int64_t n;
    switch (o->kind) {
    case O_TEXT:
        if (arg[0] == '\0')
            return cli_usage(c, "%s must not be empty", name);
        *out = pv_str(arg);
        return 0;
    case O_ENUM: {
        pv_t *l = cli_list(arg);
        int rc = cli_check_tokens(c, name, l, o->tokens);
        if (rc == 0 && l->u.a.n != 1)
            rc = cli_usage(c, "%s takes one value", name);
        if (rc == 0)
            *out = pv_dup(l->u.a.items[0]);
        pv_free(&l);
        return rc;
    }
    case O_ENUMS: {
        pv_t *l = cli_list(arg);
        int rc = cli_check_tokens(c, name, l, o->tokens);
        if (rc)
            pv_free(&l);
        *out = l;
        return rc;
    }
    case O_LANGS: {
        pv_t *l = cli_list(arg);
        for (size_t i = 0; i < l->u.a.n; i++) {
            const char *s = l->u.a.items[i]->u.s.p;
            if (!rec_lang_ok(s)) {
                int rc = cli_usage(c, "%s: '%s' is not an ISO 639-1 language code like nl, ar, tr",
                                   name, s);
                pv_free(&l);
                return rc;
            }
        }
        if (l->u.a.n == 0) {
            pv_free(&l);
            return cli_usage(c, "%s needs at least one language", name);
        }
        *out = l;
        return 0;
    }
    case O_NODES: {
        pv_t *l = cli_list(arg);
        for (size_t i = 0; i < l->u.a.n; i++) {
            pv_t *it = l->u.a.items[i];
            uint8_t k[32];
            if (hex_decode(it->u.s.p, k, 32) < 0) {
                int rc = cli_usage(c, "%s: '%s' is not a node id (64 hex digits, from `buurt id`)",
                                   name, it->u.s.p);
                pv_free(&l);
                return rc;
            }
            char hex[65];
            hex_encode(k, 32, hex);
            pv_t *lower = pv_str(hex);
            pv_free(&l->u.a.items[i]);
            l->u.a.items[i] = lower;
        }
        if (l->u.a.n == 0) {
            pv_free(&l);
            return cli_usage(c, "%s needs at least one node id", name);
        }
        *out = l;
        return 0;
    }
    case O_STRS: {
        pv_t *l = cli_list(arg);
        if (l->u.a.n == 0) {
            pv_free(&l);
            return cli_usage(c, "%s needs at least one value", name);
        }
        *out = l;
        return 0;
    }
    case O_INT:
        if (cli_int(c, name, arg, o->min, o->max, &n))
            return EXIT_USAGE;
        *out = pv_int(n);
        return 0;
    case O_COORD: {
        char *end;
        double d = strtod(arg, &end);
        if (*arg == '\0' || *end != '\0' || d < (double)o->min || d > (double)o->max)
            return cli_usage(c, "%s must be decimal degrees from %lld to %lld", name,
                             (long long)o->min, (long long)o->max);
        *out = pv_int((int64_t)(d * 1e6 + (d < 0 ? -0.5 : 0.5)));
        return 0;
    }
    case O_TIME: {
        uint64_t now = cli_edit_now(c);
        int64_t t = cli_time(arg, now);
        if (t < 0)
            return cli_usage(c, "%s: '%s' is not a duration (14d, 48h, 90m) or date (2026-12-01)",
                             name, arg);
        /* an expiry or an end already past is a slip, not a record */
        if ((strcmp(name, "--expires") == 0 || strcmp(name, "--until") == 0) && (uint64_t)t <= now)
            return cli_usage(c, "%s: %s is in the past", name, arg);
        *out = pv_int(t);
        return 0;
    }
    case O_REF: {
        if (strlen(arg) < WRITE_ID_MIN)
            return cli_usage(c, "%s: '%s' is too short: give at least %d digits of the id (see buurt list)",
                             name, arg, WRITE_ID_MIN);
        repo_t *r = cli_repo(c);
        if (r == NULL)
            return EXIT_FAIL;
        uint8_t id[32];
        char *cause = NULL;
        int rc = repo_resolve(r, arg, -1, id, &cause);
        if (rc < 0)
            return cli_fail(c, rc, cause);
        const entity_t *e = repo_entity(r, id);
        if (!(o->o->refkinds & KB(e->kind)))
            return cli_usage(c, "%s: %s is a %s, which does not fit here", name, arg,
                             rec_kind_name(e->kind));
        char hex[65];
        hex_encode(id, 32, hex);
        *out = pv_str(hex);
        return 0;
    }
    default:
        *out = pv_bool(true);
        return 0;
    }
}

/*
 * Parses argv (argv[0] is the subcommand) against opts. Returns 0, or an
 * exit code (usage 2, failure 1) after printing the message.
 */
static int s_parse(cli_t *c, rec_kind_t kind, const opt_t *opts, int argc, char **argv,
                   parsed_t *p)
{
    memset(p, 0, sizeof *p);
    p->fields = pv_map();
    p->pos = xcalloc((size_t)argc + 1, sizeof(char *));
    size_t nopt = 0;
    while (opts[nopt].opt)
        nopt++;
    /* programmer error: option tables are small and fixed */
    if (nopt > 32)
        abort();
    struct option *lo = xcalloc(nopt + 3, sizeof *lo);
    for (size_t i = 0; i < nopt; i++)
        lo[i] = (struct option){opts[i].opt, opts[i].arg ? required_argument : no_argument, NULL,
                                (int)(i + 256)};
    lo[nopt] = (struct option){"json", no_argument, NULL, 'j'};
    lo[nopt + 1] = (struct option){"help", no_argument, NULL, 'h'};
    int rc = 0, ch;
    optind = 0;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        if (ch == 'j') {
            c->json = true;
        } else if (ch == 'h') {
            p->help = true;
        } else if (ch == '?') {
            rc = cli_usage(c, "unknown option %s", argv[optind - 1]);
            goto done;
        } else if (ch == ':') {
            rc = cli_usage(c, "option %s needs a value", argv[optind - 1]);
            goto done;
        } else {
            const opt_t *o = &opts[ch - 256];
            if (o->kind == O_LOCAL) {
                p->local[ch - 256] = true;
                continue;
            }
            pv_t *v = NULL;
            ropt_t r = s_opt_resolve(kind, o);
            if ((rc = s_value(c, &r, optarg ? optarg : "", &v)) != 0)
                goto done;
            pv_map_set(p->fields, o->field, v);
        }
    }
    while (optind < argc)
        p->pos[p->npos++] = argv[optind++];
done:
    free(lo);
    return rc;
}

/* Index of an O_LOCAL option by name in opts, for parsed_t.local. */
static bool s_local(const opt_t *opts, const parsed_t *p, const char *name)
{
    for (int i = 0; opts[i].opt; i++)
        if (strcmp(opts[i].opt, name) == 0)
            return p->local[i];
    return false;
}

/* Checks required fields for add. */
static int s_required(cli_t *c, rec_kind_t kind, const opt_t *opts, const pv_t *fields)
{
    for (const opt_t *o = opts; o->opt; o++)
        if (s_opt_resolve(kind, o).required && pv_map_get(fields, o->field) == NULL)
            return cli_usage(c, "--%s is required", o->opt);
    return 0;
}

/* Signs and stores; prints the result. entity NULL = create. */
static int s_commit(cli_t *c, rec_kind_t kind, const uint8_t *entity, const pv_t *fields)
{
    repo_t *r = cli_repo(c);
    if (r == NULL)
        return EXIT_FAIL;
    uint8_t id[32], coal[32];
    char *cause = NULL;
    int rc;
    if (entity == NULL && kind == REC_COALITION && pv_get_bool(fields, "private", false)) {
        rc = private_create(r, fields, id, &cause);
    } else if (entity == NULL && private_target(r, kind, fields, coal)) {
        rc = repo_edit_private(r, kind, 0, coal, fields, id, &cause);
    } else {
        rc = repo_edit(r, kind, entity, fields, id, &cause);
        if (rc == 0 && kind == REC_COALITION && entity)
            rc = private_after_edit(r, id, fields, &cause);
    }
    if (rc < 0)
        return cli_fail(c, rc, cause);
    char hex[65];
    hex_encode(id, 32, hex);
    if (c->json) {
        buf_t b = {0};
        cli_entity_json(repo_entity(r, id), cli_now(c), &b);
        cli_print_json(c, &b);
        buf_free(&b);
    } else if (entity == NULL) {
        fprintf(c->out, "%s\n", hex);
    } else {
        const entity_t *e = repo_entity(r, id);
        const char *st = pv_get_str(e->fields, "status");
        fprintf(c->out, "%s %.10s %s%s%s\n", rec_kind_name(kind), hex, query_label(e), st ? ": " : "",
               st ? st : "");
    }
    return EXIT_OK;
}

/* Resolves a positional id of kind for a change; prints the error. 0 or
 * exit code. */
static int s_resolve(cli_t *c, const char *arg, int kind, uint8_t id[32])
{
    if (strlen(arg) < WRITE_ID_MIN)
        return cli_usage(c, "'%s' is too short to name a record to change: give at least %d digits of "
                            "its id (see buurt list)", arg, WRITE_ID_MIN);
    repo_t *r = cli_repo(c);
    if (r == NULL)
        return EXIT_FAIL;
    char *cause = NULL;
    int rc = repo_resolve(r, arg, kind, id, &cause);
    return rc < 0 ? cli_fail(c, rc, cause) : 0;
}

/*
 * The personal-data guard (rec_privacy_scan) over the free text people
 * write: a need's summary and area, a bulletin's title and body, a place's
 * status note, an offer's note. Names of places and coalitions, a place's
 * address and contact are an organisation's public data: not scanned.
 * Returns 0, or 2 after saying which option holds what.
 */
static int s_privacy(cli_t *c, rec_kind_t kind, const opt_t *opts, const pv_t *fields, bool allow)
{
    static const struct {
        rec_kind_t kind;
        const char *field;
    } texts[] = {{REC_NEED, "summary"},  {REC_NEED, "area"},           {REC_BULLETIN, "title"},
                 {REC_BULLETIN, "body"}, {REC_BULLETIN, "area"}, {REC_PLACE, "status_note"},
                 {REC_OFFER, "note"}};
    if (allow)
        return 0;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        const char *s = texts[i].kind == kind ? pv_get_str(fields, texts[i].field) : NULL;
        const char *opt = texts[i].field;
        for (const opt_t *o = opts; o->opt; o++)
            if (o->field && strcmp(o->field, texts[i].field) == 0)
                opt = o->opt;
        char *cause = NULL;
        if (s && rec_privacy_scan(s, &cause) < 0) {
            fprintf(c->err,
                    "buurt %s: --%s %s; the shared directory holds no resident-identifying data "
                    "(use --allow-contact-details if this is an organisation's public contact)\n",
                    c->cmd, opt, cause);
            free(cause);
            return EXIT_USAGE;
        }
    }
    return 0;
}

/* One need, one record: an open need of the same category and area with
 * a near-identical summary (query_duplicate_need) is named on stderr; the
 * new one is added anyway (0), or with refuse not (1). */
static int s_duplicate(cli_t *c, const pv_t *fields, bool refuse)
{
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    const entity_t *d = query_duplicate_need(r, pv_get_str(fields, "category"), pv_get_str(fields, "area"),
                                             pv_get_str(fields, "summary"), cli_now(c));
    if (!d || rec_validate(REC_NEED, fields, 0, NULL) < 0)
        return 0; /* an invalid need is refused next, for its own reason */
    char hex[65];
    hex_encode(d->entity, 32, hex);
    buf_t e = {0};
    text_escape(&e, pv_get_str(d->fields, "summary"));
    fprintf(c->err, "buurt %s: %s: an open need looks the same: %.10s \"%s\"%s\n", c->cmd,
            refuse ? "refused" : "warning", hex, buf_cstr(&e),
            refuse ? " (add to it, or leave out --no-duplicates)"
                   : "; added anyway (fold them with: buurt need merge KEEP DUPLICATE)");
    buf_free(&e);
    return refuse ? EXIT_FAIL : 0;
}

/* need merge KEEP DUP: DUP is cancelled as a duplicate of KEEP, and what
 * it held that KEEP lacks moves over: its people are added, its languages
 * joined, and a claim on DUP carries to an open KEEP, so no response is
 * lost. */
static int s_need_merge(cli_t *c, int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fprintf(c->out, "usage: buurt need merge KEEP DUPLICATE [--json]\n\n"
                        "Folds DUPLICATE into KEEP: DUPLICATE is cancelled with duplicate_of KEEP;\n"
                        "its people are added to KEEP's, its languages joined, and a claim on it\n"
                        "carries over to KEEP when KEEP is open. Ids: at least 4 hex digits.\n");
        return EXIT_OK;
    }
    const char *pos[2];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = true;
        else if (argv[i][0] == '-')
            return cli_usage(c, "unknown option %s", argv[i]);
        else if (np < 2)
            pos[np++] = argv[i];
        else
            return cli_usage(c, "unexpected argument '%s'", argv[i]);
    }
    if (np != 2)
        return cli_usage(c, "give two need ids: KEEP DUPLICATE");
    uint8_t keep[32], dup[32];
    int rc;
    if ((rc = s_resolve(c, pos[0], REC_NEED, keep)) || (rc = s_resolve(c, pos[1], REC_NEED, dup)))
        return rc;
    if (memcmp(keep, dup, 32) == 0)
        return cli_usage(c, "KEEP and DUPLICATE are the same need");
    repo_t *r = c->repo;
    const entity_t *k = repo_entity(r, keep), *d = repo_entity(r, dup);
    const char *kst = query_status(k, cli_now(c)), *dst = query_status(d, cli_now(c));
    if (strcmp(kst, "open") != 0 && strcmp(kst, "claimed") != 0)
        return cli_err(c, EXIT_FAIL, "need %s is %s: merge into an open or claimed need", pos[0], kst);
    if (strcmp(dst, "open") != 0 && strcmp(dst, "claimed") != 0)
        return cli_err(c, EXIT_FAIL, "need %s is already %s%s", pos[1], dst,
                       pv_get_str(d->fields, "duplicate_of") ? " (merged before)" : "");
    pv_t *kf = pv_map();
    int64_t people = pv_get_int(k->fields, "people", 0), more = pv_get_int(d->fields, "people", 0);
    if (more > 0) {
        int64_t sum = (people > 0 ? people : 1) + more; /* a need without a count is one */
        pv_map_set(kf, "people", pv_int(sum > 10000 ? 10000 : sum));
    }
    const pv_t *kl = pv_map_get(k->fields, "langs"), *dl = pv_map_get(d->fields, "langs");
    if (dl && dl->type == PV_ARR && dl->u.a.n) {
        pv_t *all = kl ? pv_dup(kl) : pv_arr();
        size_t before = all->u.a.n;
        for (size_t i = 0; i < dl->u.a.n && all->u.a.n < 16; i++) {
            bool have = false;
            for (size_t j = 0; j < all->u.a.n && !have; j++)
                have = pv_equal(all->u.a.items[j], dl->u.a.items[i]);
            if (!have)
                pv_arr_push(all, pv_dup(dl->u.a.items[i]));
        }
        if (all->u.a.n > before)
            pv_map_set(kf, "langs", all);
        else
            pv_free(&all);
    }
    const char *claim = pv_get_str(d->fields, "claimed_by");
    if (claim && strcmp(dst, "claimed") == 0 && strcmp(kst, "open") == 0) {
        pv_map_set(kf, "claimed_by", pv_str(claim));
        pv_map_set(kf, "status", pv_str("claimed"));
    }
    char *cause = NULL;
    if (kf->u.m.n && (rc = repo_edit(r, REC_NEED, keep, kf, NULL, &cause)) < 0) {
        pv_free(&kf);
        return cli_fail(c, rc, cause);
    }
    pv_free(&kf);
    char khex[65];
    hex_encode(keep, 32, khex);
    pv_t *df = pv_map();
    pv_map_set(df, "status", pv_str("cancelled"));
    pv_map_set(df, "duplicate_of", pv_str(khex));
    rc = s_commit(c, REC_NEED, dup, df);
    pv_free(&df);
    return rc;
}

/* Generic add / edit for a kind. */
static int s_add_edit(cli_t *c, rec_kind_t kind, const opt_t *opts, bool add, int argc, char **argv,
                      const char *usage)
{
    parsed_t p;
    int rc = s_parse(c, kind, opts, argc, argv, &p);
    uint8_t id[32];
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, kind, usage, opts, NULL);
        goto done;
    }
    if (add && p.npos != 0) {
        rc = cli_usage(c, "unexpected argument '%s'", p.pos[0]);
        goto done;
    }
    if (!add && p.npos != 1) {
        rc = cli_usage(c, "give exactly one id");
        goto done;
    }
    if (add && (rc = s_required(c, kind, opts, p.fields)))
        goto done;
    if (!add && p.fields->u.m.n == 0) {
        rc = cli_usage(c, "nothing to change; give at least one option");
        goto done;
    }
    if ((rc = s_privacy(c, kind, opts, p.fields, s_local(opts, &p, "allow-contact-details"))))
        goto done;
    if (kind == REC_NEED) {
        if (add && (rc = s_duplicate(c, p.fields, s_local(opts, &p, "no-duplicates"))))
            goto done;
        if (add) {
            if (!pv_map_get(p.fields, "expires"))
                pv_map_set(p.fields, "expires", pv_int((int64_t)cli_edit_now(c) + 14LL * 86400000));
            if (!pv_map_get(p.fields, "urgency"))
                pv_map_set(p.fields, "urgency", pv_str("normal"));
            pv_map_set(p.fields, "status", pv_str("open"));
        }
    }
    if (kind == REC_PLACE && pv_map_get(p.fields, "status"))
        pv_map_set(p.fields, "status_at", pv_int((int64_t)cli_edit_now(c)));
    if (kind == REC_COALITION && add) {
        repo_t *r = cli_repo(c);
        if (!r) {
            rc = EXIT_FAIL;
            goto done;
        }
        const pv_t *given = pv_map_get(p.fields, "coordinators");
        pv_t *co = pv_arr();
        pv_arr_push(co, pv_str(repo_key(r)->id));
        for (size_t i = 0; given && i < given->u.a.n; i++)
            if (strcmp(given->u.a.items[i]->u.s.p, repo_key(r)->id) != 0)
                pv_arr_push(co, pv_dup(given->u.a.items[i]));
        pv_map_set(p.fields, "coordinators", co);
    }
    if (!add && (rc = s_resolve(c, p.pos[0], kind, id)))
        goto done;
    rc = s_commit(c, kind, add ? NULL : id, p.fields);
done:
    s_parsed_free(&p);
    return rc;
}

/* ---------------------------------------------------------------- init, id */

int cmd_init(cli_t *c, int argc, char **argv)
{
    static const opt_t opts[] = {
        {"name", "name", O_TEXT, 0, "NAME", "name of this node's organisation", true},
        {NULL, NULL, 0, 0, NULL, NULL, false}};
    parsed_t p;
    int rc = s_parse(c, REC__COUNT, opts, argc, argv, &p);
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, REC__COUNT, "init --name NAME", opts,
               "Creates the node key (mode 0600) and an empty store in the home directory\n"
               "and prints the node id.");
        goto done;
    }
    if (p.npos) {
        rc = cli_usage(c, "unexpected argument '%s'", p.pos[0]);
        goto done;
    }
    if ((rc = s_required(c, REC__COUNT, opts, p.fields)))
        goto done;
    nodekey_t k;
    char *cause = NULL;
    int e = home_init(c->home, pv_get_str(p.fields, "name"), &k, &cause);
    if (e < 0) {
        rc = cli_fail(c, e, cause);
        goto done;
    }
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"id\":\"%s\",\"home\":", k.id);
        json_str(&b, c->home, strlen(c->home));
        buf_printf(&b, ",\"name\":");
        const char *nm = pv_get_str(p.fields, "name");
        json_str(&b, nm, strlen(nm));
        buf_putc(&b, '}');
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "%s\n", k.id);
    }
done:
    s_parsed_free(&p);
    return rc;
}

int cmd_id(cli_t *c, int argc, char **argv)
{
    parsed_t p;
    int rc = s_parse(c, REC__COUNT, s_no_opts, argc, argv, &p);
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, REC__COUNT, "id", s_no_opts, "Prints this node's id (its Ed25519 public key in hex).");
        goto done;
    }
    if (p.npos) {
        rc = cli_usage(c, "unexpected argument '%s'", p.pos[0]);
        goto done;
    }
    nodekey_t k;
    char *kp = home_path(c->home, HOME_KEY), *cause = NULL;
    int e = key_load(kp, &k, &cause);
    free(kp);
    if (e == BU_ENOENT) {
        free(cause);
        rc = cli_err(c, EXIT_FAIL, "no node at %s: check --home or BUURT_HOME (buurt --home %s init would make a new node, with a new identity)",
                     c->home, c->home);
        goto done;
    }
    if (e < 0) {
        rc = cli_fail(c, e, cause);
        goto done;
    }
    if (c->json)
        fprintf(c->out, "{\"id\":\"%s\"}\n", k.id);
    else
        fprintf(c->out, "%s\n", k.id);
done:
    s_parsed_free(&p);
    return rc;
}

/* ---------------------------------------------------------------- place */

static int s_place_status(cli_t *c, int argc, char **argv)
{
    static const opt_t opts[] = {
        {"note", "status_note", O_AUTO, 0, "TEXT", "what still works, e.g. \"phone and doorstep only\"", false},
        {"capacity", "capacity", O_AUTO, 0, "N", NULL, false},
        OPT_ALLOW_CONTACT,
        {NULL, NULL, 0, 0, NULL, NULL, false}};
    parsed_t p;
    int rc = s_parse(c, REC_PLACE, opts, argc, argv, &p);
    uint8_t id[32];
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, REC_PLACE, "place status ID STATUS [--note TEXT] [--capacity N]", opts,
               "STATUS is one of: open, limited, alternative, closed, overloaded.\n"
               "A status without --note clears the previous note.");
        goto done;
    }
    if (p.npos != 2) {
        rc = cli_usage(c, "give a place id and a status");
        goto done;
    }
    if (!rec_token_ok(REC_PLACE_STATUS, p.pos[1])) {
        rc = cli_usage(c, "unknown status '%s' (one of: open, limited, alternative, closed, overloaded)",
                       p.pos[1]);
        goto done;
    }
    if ((rc = s_privacy(c, REC_PLACE, opts, p.fields, s_local(opts, &p, "allow-contact-details"))))
        goto done;
    pv_map_set(p.fields, "status", pv_str(p.pos[1]));
    if (!pv_map_get(p.fields, "status_note"))
        pv_map_set(p.fields, "status_note", pv_nil());
    pv_map_set(p.fields, "status_at", pv_int((int64_t)cli_edit_now(c)));
    if ((rc = s_resolve(c, p.pos[0], REC_PLACE, id)))
        goto done;
    rc = s_commit(c, REC_PLACE, id, p.fields);
done:
    s_parsed_free(&p);
    return rc;
}

static void s_group_help(cli_t *c, const char *group, const char *const *lines, bool missing)
{
    if (missing) {
        fprintf(c->err, "buurt %s: give a subcommand; see buurt %s --help\n", group, group);
        return;
    }
    fprintf(c->out, "usage: buurt %s SUBCOMMAND ...\n\nsubcommands:\n", group);
    for (; *lines; lines++)
        fprintf(c->out, "  %s\n", *lines);
    fprintf(c->out, "\n`buurt %s SUBCOMMAND --help` shows the options of one.\n", group);
}

static int s_is_help(const char *a)
{
    return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0;
}

int cmd_place(cli_t *c, int argc, char **argv)
{
    static const char *const lines[] = {
        "add --name NAME --kind KIND [...]   add a place; prints its id",
        "status ID STATUS [--note TEXT]      set open/limited/alternative/closed/overloaded",
        "edit ID [--area A ...]              change any field", NULL};
    if (argc < 2 || s_is_help(argv[1])) {
        s_group_help(c, "place", lines, argc < 2);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "add") == 0) {
        c->cmd = "place add";
        return s_add_edit(c, REC_PLACE, s_place_opts, true, argc - 1, argv + 1,
                          "place add --name NAME --kind KIND[,KIND] [options]");
    }
    if (strcmp(argv[1], "edit") == 0) {
        c->cmd = "place edit";
        return s_add_edit(c, REC_PLACE, s_place_opts, false, argc - 1, argv + 1,
                          "place edit ID [options]");
    }
    if (strcmp(argv[1], "status") == 0) {
        c->cmd = "place status";
        return s_place_status(c, argc - 1, argv + 1);
    }
    return cli_usage(c, "unknown subcommand '%s'", argv[1]);
}

/* ---------------------------------------------------------------- need */

static int s_need_state(cli_t *c, const char *sub, int argc, char **argv)
{
    static const opt_t claim_opts[] = {
        {"by", "claimed_by", O_REF, KB(REC_OFFER) | KB(REC_PLACE) | KB(REC_COALITION), "ID",
         "offer, place or coalition that takes it on", true},
        {NULL, NULL, 0, 0, NULL, NULL, false}};
    bool claim = strcmp(sub, "claim") == 0;
    const opt_t *opts = claim ? claim_opts : s_no_opts;
    parsed_t p;
    int rc = s_parse(c, REC_NEED, opts, argc, argv, &p);
    uint8_t id[32];
    if (rc)
        goto done;
    if (p.help) {
        char *u = xasprintf("need %s ID%s", sub, claim ? " --by ID" : "");
        const char *what = claim ? "Marks an open need as claimed by an offer, place or coalition.\n"
                                   "Any member may claim an open need; the claimer may then mark it done or reopen it."
                           : !strcmp(sub, "done")   ? "Marks the need as done."
                           : !strcmp(sub, "cancel") ? "Cancels the need: it is no longer wanted."
                                                    : "Opens the need again and clears who claimed it.";
        s_help(c, REC_NEED, u, opts, what);
        free(u);
        goto done;
    }
    if (p.npos != 1) {
        rc = cli_usage(c, "give exactly one need id");
        goto done;
    }
    if (claim && (rc = s_required(c, REC_NEED, opts, p.fields)))
        goto done;
    if ((rc = s_resolve(c, p.pos[0], REC_NEED, id)))
        goto done;
    const entity_t *e = repo_entity(c->repo, id);
    const char *st = pv_get_str(e->fields, "status");
    const char *to = claim ? "claimed" : strcmp(sub, "done") == 0 ? "done"
                                      : strcmp(sub, "cancel") == 0 ? "cancelled"
                                                                   : "open";
    /* errors that name the state, where the rules would refuse it plainly:
     * for a node that is not the need's creator, an admin or (a need
     * addressed to a coalition) maybe one of its coordinators */
    bool finished = st && (strcmp(st, "done") == 0 || strcmp(st, "cancelled") == 0);
    bool may_all = pv_get_str(e->fields, "coalition") || memcmp(e->creator, repo_key(c->repo)->pk, 32) == 0 ||
                   !repo_members(c->repo) ||
                   members_role_at(repo_members(c->repo), repo_key(c->repo)->pk, repo_edit_now(c->repo) << 16) ==
                       ROLE_ADMIN;
    if (!may_all && !claim && strcmp(to, "open") != 0 && finished) {
        rc = cli_err(c, EXIT_FAIL, "need %s is already %s (reopen with: buurt need reopen %s)", p.pos[0], st,
                     p.pos[0]);
        goto done;
    }
    if (!may_all && claim && st && strcmp(st, "claimed") == 0) {
        char who[200];
        cli_node_name(c->repo, e->claimer, who, sizeof who);
        buf_t l = {0};
        text_escape(&l, cli_ref_name(c->repo, pv_get_str(e->fields, "claimed_by")));
        rc = cli_err(c, EXIT_FAIL,
                     "need %s is already claimed by %s (%s); the claimer or the organisation it is claimed "
                     "for may release it (buurt need reopen %s)",
                     p.pos[0], buf_cstr(&l), who, p.pos[0]);
        buf_free(&l);
        goto done;
    }
    if (claim && st && strcmp(st, "open") != 0 && strcmp(st, "claimed") != 0) {
        rc = cli_err(c, EXIT_FAIL, "need %s is %s; reopen it first (buurt need reopen %s)",
                     p.pos[0], st, p.pos[0]);
        goto done;
    }
    pv_map_set(p.fields, "status", pv_str(to));
    if (strcmp(to, "open") == 0)
        pv_map_set(p.fields, "claimed_by", pv_nil());
    rc = s_commit(c, REC_NEED, id, p.fields);
done:
    s_parsed_free(&p);
    return rc;
}

int cmd_need(cli_t *c, int argc, char **argv)
{
    static const char *const lines[] = {
        "add --category CAT --summary TEXT [...]  add a need; prints its id",
        "claim ID --by ID                         an offer, place or coalition takes it on",
        "done ID                                  mark it done",
        "cancel ID                                cancel it",
        "reopen ID                                open it again",
        "merge KEEP DUPLICATE                     fold a duplicate into the need kept",
        "edit ID [--urgency U ...]                change any field", NULL};
    if (argc < 2 || s_is_help(argv[1])) {
        s_group_help(c, "need", lines, argc < 2);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    const char *sub = argv[1];
    char cmdname[32];
    snprintf(cmdname, sizeof cmdname, "need %s", sub);
    c->cmd = cmdname;
    int rc;
    if (strcmp(sub, "add") == 0)
        rc = s_add_edit(c, REC_NEED, s_need_opts, true, argc - 1, argv + 1,
                        "need add --category CAT --summary TEXT [options]");
    else if (strcmp(sub, "edit") == 0)
        rc = s_add_edit(c, REC_NEED, s_need_opts, false, argc - 1, argv + 1, "need edit ID [options]");
    else if (!strcmp(sub, "claim") || !strcmp(sub, "done") || !strcmp(sub, "cancel") ||
             !strcmp(sub, "reopen"))
        rc = s_need_state(c, sub, argc - 1, argv + 1);
    else if (strcmp(sub, "merge") == 0)
        rc = s_need_merge(c, argc - 1, argv + 1);
    else
        rc = cli_usage(c, "unknown subcommand '%s'", sub);
    c->cmd = "need";
    return rc;
}

/* ---------------------------------------------------------------- offer, bulletin */

static int s_simple_group(cli_t *c, rec_kind_t kind, const opt_t *opts, int argc, char **argv,
                          const char *add_usage)
{
    const char *g = rec_kind_name(kind);
    char l1[128], l2[128];
    snprintf(l1, sizeof l1, "add ...     add %s %s; prints its id", kind == REC_OFFER ? "an" : "a", g);
    snprintf(l2, sizeof l2, "edit ID ... change any field");
    const char *const lines[] = {l1, l2, NULL};
    if (argc < 2 || s_is_help(argv[1])) {
        s_group_help(c, g, lines, argc < 2);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    char cmdname[40], usage[80];
    snprintf(cmdname, sizeof cmdname, "%s %s", g, argv[1]);
    c->cmd = cmdname;
    int rc;
    if (strcmp(argv[1], "add") == 0) {
        rc = s_add_edit(c, kind, opts, true, argc - 1, argv + 1, add_usage);
    } else if (strcmp(argv[1], "edit") == 0) {
        snprintf(usage, sizeof usage, "%s edit ID [options]", g);
        rc = s_add_edit(c, kind, opts, false, argc - 1, argv + 1, usage);
    } else {
        rc = cli_usage(c, "unknown subcommand '%s'", argv[1]);
    }
    c->cmd = g;
    return rc;
}

int cmd_offer(cli_t *c, int argc, char **argv)
{
    return s_simple_group(c, REC_OFFER, s_offer_opts, argc, argv,
                          "offer add --provider ID --category CAT[,CAT] [options]");
}

int cmd_bulletin(cli_t *c, int argc, char **argv)
{
    return s_simple_group(c, REC_BULLETIN, s_bulletin_opts, argc, argv,
                          "bulletin add --title TEXT --body TEXT [options]");
}

/* ---------------------------------------------------------------- coalition */

static int s_coalition_member(cli_t *c, int argc, char **argv)
{
    static const opt_t opts[] = {
        {"role", NULL, O_LOCAL, 0, "ROLE", "lead, coordinate, facilitate or provide", false},
        {"reaches", "reaches", O_STRS, 0, "GROUP[,GROUP]", "groups this member reaches and is trusted by", false},
        {"remove", NULL, O_LOCAL, 0, NULL, "remove the member instead", false},
        {NULL, NULL, 0, 0, NULL, NULL, false}};
    /* --role takes a value but is not a field of the coalition itself, so
     * pick it out by hand before the table parser sees it. */
    const char *role = NULL;
    char **av = xcalloc((size_t)argc + 1, sizeof(char *));
    int ac = 0, rc = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (strncmp(argv[i], "--role=", 7) == 0)
            role = argv[i] + 7;
        else if (strcmp(argv[i], "--role") == 0) {
            free(av);
            return cli_usage(c, "option --role needs a value");
        } else
            av[ac++] = argv[i];
    }
    static const opt_t parse_opts[] = {
        {"reaches", "reaches", O_STRS, 0, "GROUP[,GROUP]", "", false},
        {"remove", NULL, O_LOCAL, 0, NULL, "", false},
        {NULL, NULL, 0, 0, NULL, NULL, false}};
    parsed_t p;
    uint8_t cid[32], pid[32];
    pv_t *fields = NULL;
    rc = s_parse(c, REC_COALITION, parse_opts, ac, av, &p);
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, REC_COALITION, "coalition member COALITION-ID PLACE-ID --role ROLE [--reaches G,G] | --remove",
               opts, "Adds a place (organisation) to a coalition with its role, or removes it.");
        goto done;
    }
    bool remove = s_local(parse_opts, &p, "remove");
    if (p.npos != 2) {
        rc = cli_usage(c, "give a coalition id and a place id");
        goto done;
    }
    if (!remove && role == NULL) {
        rc = cli_usage(c, "--role is required (lead, coordinate, facilitate or provide)");
        goto done;
    }
    if (role && !rec_token_ok(REC_ROLES, role)) {
        rc = cli_usage(c, "unknown role '%s' (one of: lead, coordinate, facilitate, provide)", role);
        goto done;
    }
    if ((rc = s_resolve(c, p.pos[0], REC_COALITION, cid)) || (rc = s_resolve(c, p.pos[1], REC_PLACE, pid)))
        goto done;
    char hex[65], key[80];
    hex_encode(pid, 32, hex);
    snprintf(key, sizeof key, "member:%s", hex);
    fields = pv_map();
    if (remove) {
        pv_map_set(fields, key, pv_nil());
    } else {
        pv_t *m = pv_map();
        pv_map_set(m, "role", pv_str(role));
        const pv_t *reaches = pv_map_get(p.fields, "reaches");
        if (reaches)
            pv_map_set(m, "reaches", pv_dup(reaches));
        pv_map_set(fields, key, m);
    }
    rc = s_commit(c, REC_COALITION, cid, fields);
done:
    pv_free(&fields);
    s_parsed_free(&p);
    free(av);
    return rc;
}

int cmd_coalition(cli_t *c, int argc, char **argv)
{
    static const char *const lines[] = {
        "add --name NAME [--purpose T --area A]     add a coalition; prints its id",
        "member CID PLACE-ID --role ROLE [--reaches G]  add or update a member (lead, coordinate, facilitate, provide)",
        "member CID PLACE-ID --remove               remove a member",
        "edit ID [...]                              change any field", NULL};
    if (argc < 2 || s_is_help(argv[1])) {
        s_group_help(c, "coalition", lines, argc < 2);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    int rc;
    if (strcmp(argv[1], "add") == 0) {
        c->cmd = "coalition add";
        rc = s_add_edit(c, REC_COALITION, s_coalition_opts, true, argc - 1, argv + 1,
                        "coalition add --name NAME [options]");
    } else if (strcmp(argv[1], "edit") == 0) {
        c->cmd = "coalition edit";
        rc = s_add_edit(c, REC_COALITION, s_coalition_opts, false, argc - 1, argv + 1,
                        "coalition edit ID [options]");
    } else if (strcmp(argv[1], "member") == 0) {
        c->cmd = "coalition member";
        rc = s_coalition_member(c, argc - 1, argv + 1);
    } else {
        rc = cli_usage(c, "unknown subcommand '%s'", argv[1]);
    }
    return rc;
}

/* ---------------------------------------------------------------- delete */

int cmd_delete(cli_t *c, int argc, char **argv)
{
    parsed_t p;
    int rc = s_parse(c, REC__COUNT, s_no_opts, argc, argv, &p);
    uint8_t id[32];
    pv_t *f = NULL;
    if (rc)
        goto done;
    if (p.help) {
        s_help(c, REC__COUNT, "delete ID", s_no_opts,
               "Deletes a record of any kind. Deletion is itself a signed edit, so it\n"
               "syncs like any other change; `show --history` still lists the edits.");
        goto done;
    }
    if (p.npos != 1) {
        rc = cli_usage(c, "give exactly one id");
        goto done;
    }
    if ((rc = s_resolve(c, p.pos[0], -1, id)))
        goto done;
    f = pv_map();
    pv_map_set(f, "deleted", pv_bool(true));
    rc = s_commit(c, repo_entity(c->repo, id)->kind, id, f);
done:
    pv_free(&f);
    s_parsed_free(&p);
    return rc;
}
