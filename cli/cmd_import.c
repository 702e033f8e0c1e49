/*
 * cmd_import.c -- `buurt import`: places and offers from an Open Referral
 * HSDS data package or from a spreadsheet saved as CSV, signed by this
 * node.
 *
 * Three passes, so that bad input never leaves half an import behind:
 *
 *   1. read: the whole input is read and parsed (a zip archive: every
 *      entry unpacked and CRC-checked; HSDS JSON: parsed strictly and
 *      turned into the same tables as the CSV package); a file that is not
 *      what the format says (not CSV, not UTF-8, malformed JSON, a damaged
 *      zip, an HSDS package without its tables, a sheet without the columns
 *      its map names) is refused here, before anything is written (exit 1).
 *   2. check: every row becomes a candidate record with the same checks a
 *      record made by hand gets (rec_validate), plus the personal-data scan
 *      on its texts (rec_privacy_scan; the organisation's public contact
 *      excepted). Each rejected row is reported with its file, line and
 *      reason. When any row is rejected nothing is written, unless
 *      --skip-bad asks to import the others.
 *   3. write: each candidate is looked up by its source reference
 *      (source_ref, "FORMAT:DATASET#ID"): a new one is created, an existing
 *      one gets an edit of only the fields that changed, and an unchanged
 *      one is left alone. So importing the same file twice creates no
 *      duplicates, and a second import updates what changed. --dry-run
 *      stops before this pass and reports what it would do.
 *
 * Import never unsets a field: a column left empty keeps the record's
 * value. The mappings are documented in docs/interop.md.
 */
#include "cli/cli.h"
#include "cli/interop.h"
#include "node/file.h"
#include "node/query.h"
#include "proto/csv.h"
#include "proto/json.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zip.h>

#define IMPORT_MAX_FILE (256u << 20) /* 256 MiB: a sheet far beyond any neighbourhood */
#define IMPORT_LIST_LEFT 50          /* left-out rows listed one by one; --json lists all */

/* ---------------------------------------------------------------- candidates */

typedef struct {
    rec_kind_t kind;
    char *ref;          /* source_ref */
    char *provider_ref; /* offers: the source_ref of the providing place */
    pv_t *fields;
    char *file;         /* the file name for reports */
    size_t line;
    char *reject;       /* why it is refused, or NULL */
    /* pass 3 */
    const char *action; /* "created", "updated", "unchanged" */
    uint8_t id[32];
    pv_t *changed;      /* names of the fields written */
} cand_t;

/* A row that is not imported by design (docs/interop.md), never silently:
 * each is reported with its file, line and why. */
typedef struct {
    char *file;
    size_t line;
    char *why;
} leave_t;

typedef struct {
    cli_t *c;
    const char *format, *path, *dataset;
    cand_t *v;
    size_t n, cap;
    leave_t *left;      /* rows or services read but not imported (documented losses) */
    size_t nleft;
} imp_t;

static cand_t *s_cand(imp_t *m, rec_kind_t kind, const char *file, size_t line)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->v = xrealloc(m->v, m->cap * sizeof *m->v);
    }
    cand_t *c = &m->v[m->n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->fields = pv_map();
    c->file = xstrdup(file);
    c->line = line;
    return c;
}

static void s_reject(cand_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_reject(cand_t *c, const char *fmt, ...)
{
    if (c->reject)
        return; /* the first reason is the one reported */
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&c->reject, fmt, ap) < 0)
        abort();
    va_end(ap);
}

static void s_leave(imp_t *m, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void s_leave(imp_t *m, const char *file, size_t line, const char *fmt, ...)
{
    m->left = xrealloc(m->left, (m->nleft + 1) * sizeof *m->left);
    leave_t *l = &m->left[m->nleft++];
    l->file = xstrdup(file);
    l->line = line;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&l->why, fmt, ap) < 0)
        abort();
    va_end(ap);
}

static void s_set_ref(cand_t *c, const char *format, const char *dataset, const char *key)
{
    free(c->ref);
    c->ref = xasprintf("%s:%s#%s", format, dataset, key);
}

static void s_imp_free(imp_t *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].ref);
        free(m->v[i].file);
        free(m->v[i].provider_ref);
        free(m->v[i].reject);
        pv_free(&m->v[i].fields);
        pv_free(&m->v[i].changed);
    }
    free(m->v);
    for (size_t i = 0; i < m->nleft; i++) {
        free(m->left[i].file);
        free(m->left[i].why);
    }
    free(m->left);
}

/* ---------------------------------------------------------------- values */

/* Word mappings of a map file (kind, lang, status), checked before the
 * built-in tables. */
typedef struct {
    char *what, *word, *to;
} word_t;

typedef struct {
    char *column, *field;
} colmap_t;

typedef struct {
    colmap_t *cols;
    size_t ncols;
    word_t *words;
    size_t nwords;
    char *key;     /* the column that identifies a row */
    char *source;  /* dataset name */
} map_t;

static void s_map_free(map_t *m)
{
    for (size_t i = 0; i < m->ncols; i++) {
        free(m->cols[i].column);
        free(m->cols[i].field);
    }
    for (size_t i = 0; i < m->nwords; i++) {
        free(m->words[i].what);
        free(m->words[i].word);
        free(m->words[i].to);
    }
    free(m->cols);
    free(m->words);
    free(m->key);
    free(m->source);
}

static const char *s_word(const map_t *mp, const char *what, const char *word)
{
    for (size_t i = 0; mp && i < mp->nwords; i++)
        if (strcmp(mp->words[i].what, what) == 0 && strcasecmp(mp->words[i].word, word) == 0)
            return mp->words[i].to;
    return NULL;
}

/* The place fields a column may fill. */
static const char *const s_place_fields[] = {"name", "kinds", "address", "area", "lat", "lon", "langs",
                                             "hours", "access", "functions", "contact", "status",
                                             "status_note", "status_at", "capacity", "channels",
                                             "reaches", "hub", NULL};

static bool s_is_place_field(const char *f)
{
    for (int i = 0; s_place_fields[i]; i++)
        if (strcmp(s_place_fields[i], f) == 0)
            return true;
    return false;
}

static const char *s_status_word(const map_t *mp, const char *w)
{
    const char *t = s_word(mp, "status", w);
    if (t)
        return t;
    static const char *const nl[][2] = {{"gesloten", "closed"},     {"dicht", "closed"},
                                        {"beperkt", "limited"},     {"anders", "alternative"},
                                        {"vol", "overloaded"},      {"overbelast", "overloaded"},
                                        {"geopend", "open"}};
    for (size_t i = 0; i < sizeof nl / sizeof nl[0]; i++)
        if (strcasecmp(w, nl[i][0]) == 0)
            return nl[i][1];
    for (int i = 0; REC_PLACE_STATUS[i]; i++)
        if (strcasecmp(w, REC_PLACE_STATUS[i]) == 0)
            return REC_PLACE_STATUS[i];
    return NULL;
}

/* A list of tokens from a cell: each word through the map, then the
 * built-in table; the first unknown word rejects the row. */
static pv_t *s_tokens(cand_t *c, const map_t *mp, const char *what, const char *cell,
                      const char *const *tokens)
{
    pv_t *in = io_split(cell), *out = pv_arr();
    for (size_t i = 0; i < in->u.a.n; i++) {
        const char *w = in->u.a.items[i]->u.s.p, *t = s_word(mp, what, w);
        if (!t && strcmp(what, "kind") == 0)
            t = io_kind_word(w);
        else if (!t && strcmp(what, "lang") == 0)
            t = io_lang_word(w);
        else if (!t && tokens)
            for (int k = 0; tokens[k] && !t; k++)
                if (strcasecmp(tokens[k], w) == 0)
                    t = tokens[k];
        if (!t) {
            s_reject(c, "unknown %s '%s'%s", what, w,
                     strcmp(what, "kind") == 0 ? " (map it in the map file: kind WORD = TOKEN)" : "");
            break;
        }
        pv_t *tv = pv_str(t);
        bool dup = false;
        for (size_t k = 0; k < out->u.a.n && !dup; k++)
            dup = pv_equal(out->u.a.items[k], tv);
        if (dup)
            pv_free(&tv);
        else
            pv_arr_push(out, tv);
    }
    pv_free(&in);
    return out;
}

/* Sets field from a cell's text as the schema says (empty: left out). */
static void s_field(cand_t *c, const map_t *mp, const char *field, const char *cell)
{
    while (*cell == ' ')
        cell++;
    if (*cell == '\0')
        return;
    pv_t *v = NULL;
    int64_t n;
    if (!strcmp(field, "kinds")) {
        v = s_tokens(c, mp, "kind", cell, REC_PLACE_KINDS);
    } else if (!strcmp(field, "langs")) {
        v = s_tokens(c, mp, "lang", cell, NULL);
    } else if (!strcmp(field, "functions")) {
        v = s_tokens(c, mp, "function", cell, REC_FUNCTIONS);
    } else if (!strcmp(field, "channels")) {
        v = s_tokens(c, mp, "channel", cell, REC_CHANNELS);
    } else if (!strcmp(field, "categories")) {
        v = s_tokens(c, mp, "category", cell, REC_CATEGORIES);
    } else if (!strcmp(field, "reaches")) {
        v = io_split(cell);
    } else if (!strcmp(field, "lat") || !strcmp(field, "lon")) {
        if (io_parse_deg(cell, !strcmp(field, "lat") ? 90 : 180, &n) < 0)
            return s_reject(c, "%s '%s' is not decimal degrees", field, cell);
        v = pv_int(n);
    } else if (!strcmp(field, "capacity")) {
        char *end;
        long long x = strtoll(cell, &end, 10);
        if (*end || x < 0 || x > 1000000)
            return s_reject(c, "capacity '%s' is not a number from 0 to 1000000", cell);
        v = pv_int(x);
    } else if (!strcmp(field, "status_at") || !strcmp(field, "until")) {
        int64_t t = io_parse_time(cell);
        if (t < 0)
            return s_reject(c, "%s '%s' is not a date (2026-01-31 or 2026-01-31T09:00:00Z)", field, cell);
        v = pv_int(t);
    } else if (!strcmp(field, "status")) {
        const char *t = s_status_word(mp, cell);
        if (!t)
            return s_reject(c, "unknown status '%s' (open, limited, alternative, closed, overloaded)", cell);
        v = pv_str(t);
    } else if (!strcmp(field, "hub")) {
        bool yes = !strcasecmp(cell, "yes") || !strcasecmp(cell, "ja") || !strcasecmp(cell, "true") ||
                   !strcmp(cell, "1");
        bool no = !strcasecmp(cell, "no") || !strcasecmp(cell, "nee") || !strcasecmp(cell, "false") ||
                  !strcmp(cell, "0");
        if (!yes && !no)
            return s_reject(c, "hub '%s' is not yes or no", cell);
        v = pv_bool(yes);
    } else {
        v = pv_str(cell);
    }
    if (v->type == PV_ARR && v->u.a.n == 0) {
        pv_free(&v);
        return;
    }
    pv_map_set(c->fields, field, v);
}

/* pass 2 for one candidate: the schema's checks and the privacy scan. */
static void s_check(cand_t *c)
{
    if (c->reject)
        return;
    if (c->kind == REC_PLACE && !pv_map_get(c->fields, "name"))
        return s_reject(c, "no name");
    if (c->kind == REC_PLACE && !pv_map_get(c->fields, "kinds"))
        return s_reject(c, "no kind");
    const pv_t *f = c->fields;
    for (size_t i = 0; i < f->u.m.n; i++) {
        const char *k = f->u.m.keys[i];
        const pv_t *v = f->u.m.vals[i];
        char *cause = NULL;
        if (strcmp(k, "contact") == 0 || strcmp(k, "address") == 0 || strcmp(k, "source_ref") == 0)
            continue; /* the organisation's public address and contact, as for places made by
                         hand (docs/cli.md); a spreadsheet's other columns are scanned */
        if (v->type == PV_STR && rec_privacy_scan(v->u.s.p, &cause) < 0) {
            s_reject(c, "%s: %s; the shared directory holds no personal data", k, cause);
            free(cause);
            return;
        }
        for (size_t j = 0; v->type == PV_ARR && j < v->u.a.n; j++)
            if (rec_privacy_scan(v->u.a.items[j]->u.s.p, &cause) < 0) {
                s_reject(c, "%s: %s; the shared directory holds no personal data", k, cause);
                free(cause);
                return;
            }
    }
    if (c->ref && strlen(c->ref) > 200)
        return s_reject(c, "its key is too long to remember (more than 200 characters with the dataset name)");
    /* the schema's own checks, with a stand-in provider (resolved when written) */
    pv_t *probe = pv_dup(f);
    if (c->kind == REC_OFFER)
        pv_map_set(probe, "provider", pv_str("0000000000000000000000000000000000000000000000000000000000000000"));
    pv_map_set(probe, "source_ref", pv_str(c->ref ? c->ref : "x"));
    char *cause = NULL;
    if (rec_validate(c->kind, probe, 1, &cause) < 0) {
        s_reject(c, "%s", cause);
        free(cause);
    }
    pv_free(&probe);
}

/* ---------------------------------------------------------------- files */

/* Parses the text of one sheet; label names it in reports. */
static int s_parse_csv(imp_t *m, const char *label, const char *data, size_t len, csv_t *out)
{
    char *cause = NULL;
    if (csv_parse(data, len, out, &cause) < 0) {
        int e = cli_err(m->c, EXIT_FAIL, "%s is not a CSV file buurt can read: %s; nothing was imported", label,
                        cause);
        free(cause);
        return e;
    }
    if (out->n == 0) {
        csv_free(out);
        return cli_err(m->c, EXIT_FAIL, "%s is empty: no header row; nothing was imported", label);
    }
    return 0;
}

/* 0, 1 when the file is missing and not required, or an exit code. */
static int s_read_file(imp_t *m, const char *path, csv_t *out, bool required)
{
    char *data = NULL, *cause = NULL;
    size_t len = 0;
    int rc = file_read(path, IMPORT_MAX_FILE, &data, &len, &cause);
    if (rc < 0) {
        if (!required && rc == BU_ENOENT) {
            free(cause);
            memset(out, 0, sizeof *out);
            return 1;
        }
        return cli_fail(m->c, rc, cause);
    }
    rc = s_parse_csv(m, path, data, len, out);
    free(data);
    return rc;
}

/*
 * Where the files of a package come from: a folder, or a zip archive that
 * is read whole into memory first, every entry unpacked and its CRC
 * checked (libzip), so that a damaged archive is refused before anything
 * is written. Entries are found by the last part of their name, so an
 * archive of a folder ("zuid-hsds/organization.csv") reads like the folder.
 */
typedef struct {
    const char *dir;   /* a folder, or NULL for an archive */
    const char *label; /* the archive's path, for reports */
    size_t n;
    char **names;      /* entry names as stored */
    char **data;       /* their bytes, NUL-terminated */
    size_t *len;
} src_t;

static void s_src_free(src_t *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->names[i]);
        free(s->data[i]);
    }
    free(s->names);
    free(s->data);
    free(s->len);
    memset(s, 0, sizeof *s);
}

static bool s_is_zip(const char *data, size_t len)
{
    return len >= 4 && (memcmp(data, "PK\x03\x04", 4) == 0 || memcmp(data, "PK\x05\x06", 4) == 0);
}

static int s_zip_load(imp_t *m, const char *path, const char *data, size_t len, src_t *s)
{
    memset(s, 0, sizeof *s);
    s->label = path;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *zs = zip_source_buffer_create(data, len, 0, &ze);
    zip_t *za = zs ? zip_open_from_source(zs, ZIP_RDONLY | ZIP_CHECKCONS, &ze) : NULL;
    if (!za) {
        int e = cli_err(m->c, EXIT_FAIL, "%s is not a zip archive buurt can read (%s); nothing was imported", path,
                        zip_error_strerror(&ze));
        zip_source_free(zs);
        zip_error_fini(&ze);
        return e;
    }
    zip_error_fini(&ze);
    int rc = 0;
    size_t total = 0;
    zip_int64_t n = zip_get_num_entries(za, 0);
    for (zip_int64_t i = 0; i < n && rc == 0; i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) < 0 || !(st.valid & ZIP_STAT_NAME) ||
            !(st.valid & ZIP_STAT_SIZE)) {
            rc = cli_err(m->c, EXIT_FAIL, "%s is damaged: entry %lld cannot be read (%s); nothing was imported",
                         path, (long long)i, zip_strerror(za));
            break;
        }
        size_t nl = strlen(st.name);
        if (nl == 0 || st.name[nl - 1] == '/')
            continue; /* a folder */
        if (st.size > IMPORT_MAX_FILE - total) {
            rc = cli_err(m->c, EXIT_FAIL, "%s unpacks to more than %u MiB; nothing was imported", path,
                         IMPORT_MAX_FILE >> 20);
            break;
        }
        total += (size_t)st.size;
        zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)i, 0);
        char *buf = xmalloc((size_t)st.size + 1), extra;
        zip_int64_t got = zf ? zip_fread(zf, buf, st.size) : -1;
        /* reading past the end is what makes libzip compare the CRC */
        if (got == (zip_int64_t)st.size)
            got = zip_fread(zf, &extra, 1) == 0 ? got : -1;
        if (got != (zip_int64_t)st.size) {
            rc = cli_err(m->c, EXIT_FAIL, "%s is damaged: %s cannot be unpacked (%s); nothing was imported", path,
                         st.name, zf ? zip_file_strerror(zf) : zip_strerror(za));
            free(buf);
        } else {
            buf[st.size] = '\0';
            s->names = xrealloc(s->names, (s->n + 1) * sizeof *s->names);
            s->data = xrealloc(s->data, (s->n + 1) * sizeof *s->data);
            s->len = xrealloc(s->len, (s->n + 1) * sizeof *s->len);
            s->names[s->n] = xstrdup(st.name);
            s->data[s->n] = buf;
            s->len[s->n++] = (size_t)st.size;
        }
        if (zf)
            zip_fclose(zf);
    }
    zip_discard(za);
    if (rc)
        s_src_free(s);
    return rc;
}

static const char *s_base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b && b[1] ? b + 1 : path;
}

/* The archive entry whose last name part is name, or -1. */
static int s_src_find(const src_t *s, const char *name)
{
    for (size_t i = 0; !s->dir && i < s->n; i++)
        if (strcmp(s_base(s->names[i]), name) == 0)
            return (int)i;
    return -1;
}

/* Reads the sheet name from the source: 0 (and *label_out, to free, names
 * it as FOLDER/NAME or ARCHIVE/ENTRY), 1 when it is missing and not
 * required, or an exit code. */
static int s_src_csv(imp_t *m, const src_t *s, const char *name, csv_t *out, bool required, char **label_out)
{
    int rc;
    char *label;
    if (s->dir) {
        label = xasprintf("%s/%s", s->dir, name);
        rc = s_read_file(m, label, out, required);
    } else {
        int i = s_src_find(s, name);
        if (i < 0) {
            memset(out, 0, sizeof *out);
            if (!required)
                return 1;
            return cli_err(m->c, EXIT_FAIL, "%s holds no %s; nothing was imported", s->label, name);
        }
        label = xasprintf("%s/%s", s->label, s->names[i]);
        rc = s_parse_csv(m, label, s->data[i], s->len[i], out);
    }
    if (rc == 0 && label_out)
        *label_out = label;
    else
        free(label);
    return rc;
}

/* Index of a column by its heading (case-insensitive, trimmed), or -1. */
static int s_col(const csv_t *t, const char *name)
{
    if (!t->n)
        return -1;
    for (size_t i = 0; i < t->rows[0].n; i++) {
        const char *h = t->rows[0].cells[i];
        while (*h == ' ')
            h++;
        size_t n = strlen(h);
        while (n && h[n - 1] == ' ')
            n--;
        if (strlen(name) == n && strncasecmp(h, name, n) == 0)
            return (int)i;
    }
    return -1;
}

static const char *s_cell(const csv_t *t, size_t row, int col)
{
    return col >= 0 && (size_t)col < t->rows[row].n ? t->rows[row].cells[col] : "";
}

/* ---------------------------------------------------------------- map file */

static char *s_trimdup(const char *a, const char *z)
{
    while (a < z && (*a == ' ' || *a == '\t'))
        a++;
    while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
        z--;
    return xstrndup(a, (size_t)(z - a));
}

static int s_read_map(cli_t *c, const char *path, map_t *mp)
{
    char *data = NULL, *cause = NULL;
    size_t len = 0;
    int rc = file_read(path, 1u << 20, &data, &len, &cause);
    if (rc < 0)
        return cli_fail(c, rc, cause);
    size_t line = 0;
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        char *hash = strchr(l, '#');
        if (hash && (hash == l || hash[-1] == ' ' || hash[-1] == '\t'))
            *hash = '\0';
        char *eq = strchr(l, '=');
        char *left = s_trimdup(l, eq ? eq : l + strlen(l));
        if (!eq) {
            bool blank = *left == '\0';
            free(left);
            if (blank)
                continue;
            free(data);
            return cli_usage(c, "map %s line %zu: expected 'COLUMN = FIELD', 'key = COLUMN' or 'kind WORD = TOKEN'",
                             path, line);
        }
        char *right = s_trimdup(eq + 1, eq + strlen(eq));
        const char *words[] = {"kind ", "lang ", "status ", "function ", "channel ", NULL};
        int w = -1;
        for (int k = 0; words[k] && w < 0; k++)
            if (strncmp(left, words[k], strlen(words[k])) == 0)
                w = k;
        if (w >= 0) {
            mp->words = xrealloc(mp->words, (mp->nwords + 1) * sizeof *mp->words);
            char *word = s_trimdup(left + strlen(words[w]), left + strlen(left));
            mp->words[mp->nwords++] = (word_t){xstrndup(words[w], strlen(words[w]) - 1), word, right};
            free(left);
            continue;
        }
        if (strcmp(left, "key") == 0 || strcmp(left, "source") == 0) {
            char **slot = strcmp(left, "key") == 0 ? &mp->key : &mp->source;
            free(*slot);
            *slot = right;
            free(left);
            continue;
        }
        if (!s_is_place_field(right)) {
            int e = cli_usage(c, "map %s line %zu: '%s' is not a place field (name, kinds, address, area, lat, lon, "
                                 "langs, hours, access, functions, contact, status, status_note, status_at, "
                                 "capacity, channels, reaches, hub)",
                              path, line, right);
            free(left);
            free(right);
            free(data);
            return e;
        }
        mp->cols = xrealloc(mp->cols, (mp->ncols + 1) * sizeof *mp->cols);
        mp->cols[mp->ncols++] = (colmap_t){left, right};
    }
    free(data);
    if (mp->ncols == 0)
        return cli_usage(c, "map %s maps no column; see docs/interop.md for the format", path);
    return 0;
}

/* ---------------------------------------------------------------- csv */

/* Places from one sheet: with a map, its columns; without, buurt's own
 * field names (a places.csv written by buurt export). */
static int s_csv_places(imp_t *m, const char *path, const map_t *mp, csv_t *t)
{
    const char *file = s_base(path);
    size_t ncols = mp ? mp->ncols : 0;
    colmap_t *cols = mp ? mp->cols : NULL, own[32];
    const char *key = mp && mp->key ? mp->key : NULL;
    if (!mp) {
        /* every heading must be a field of buurt's sheet */
        for (size_t i = 0; i < t->rows[0].n && ncols < 32; i++) {
            const char *h = t->rows[0].cells[i];
            if (!strcmp(h, "id") || !strcmp(h, "source_ref"))
                continue;
            if (!s_is_place_field(h))
                return cli_err(m->c, EXIT_FAIL,
                               "%s: column '%s' is not a buurt place field; give --map FILE to say what each column "
                               "means (docs/interop.md); nothing was imported",
                               path, h);
            own[ncols++] = (colmap_t){(char *)h, (char *)h};
        }
        cols = own;
        if (s_col(t, "id") >= 0)
            key = "id";
    }
    int idx[64];
    bool has_name = false;
    for (size_t i = 0; i < ncols && i < 64; i++) {
        idx[i] = s_col(t, cols[i].column);
        if (idx[i] < 0)
            return cli_err(m->c, EXIT_FAIL, "%s has no column '%s' (the map names it); nothing was imported", path,
                           cols[i].column);
        has_name |= strcmp(cols[i].field, "name") == 0;
    }
    if (!has_name)
        return cli_err(m->c, EXIT_FAIL, "%s: no column gives the name of a place; nothing was imported", path);
    int kcol = -1;
    if (key && (kcol = s_col(t, key)) < 0)
        return cli_err(m->c, EXIT_FAIL, "%s has no key column '%s'; nothing was imported", path, key);
    for (size_t r = 1; r < t->n; r++) {
        cand_t *c = s_cand(m, REC_PLACE, file, t->rows[r].line);
        for (size_t i = 0; i < ncols; i++)
            s_field(c, mp, cols[i].field, s_cell(t, r, idx[i]));
        const char *k = kcol >= 0 ? s_cell(t, r, kcol) : pv_get_str(c->fields, "name");
        if (k && *k)
            s_set_ref(c, "csv", m->dataset ? m->dataset : file, k);
        else
            s_reject(c, kcol >= 0 ? "no %s to tell this row from the others" : "no %s", kcol >= 0 ? key : "name");
    }
    return 0;
}

/* Offers from buurt's offers.csv, whose providers are places of the same
 * import (places.csv). */
static int s_csv_offers(imp_t *m, const char *path, const char *places_file, csv_t *t, const csv_t *coal)
{
    int cid = coal ? s_col(coal, "id") : -1;
    const char *file = s_base(path);
    static const char *const want[] = {"categories", "area", "langs", "capacity", "until", "note", NULL};
    int id = s_col(t, "id"), prov = s_col(t, "provider");
    if (id < 0 || prov < 0 || s_col(t, "categories") < 0)
        return cli_err(m->c, EXIT_FAIL, "%s is not an offers sheet of buurt export (id, provider, categories); "
                                        "nothing was imported", path);
    for (size_t r = 1; r < t->n; r++) {
        bool coalition = false;
        for (size_t k = 1; cid >= 0 && k < coal->n && !coalition; k++)
            coalition = strcmp(s_cell(coal, k, cid), s_cell(t, r, prov)) == 0;
        if (coalition) {
            s_leave(m, file, t->rows[r].line, "an offer of coalition %s: coalitions are not imported",
                    s_cell(t, r, prov));
            continue;
        }
        cand_t *c = s_cand(m, REC_OFFER, file, t->rows[r].line);
        for (int i = 0; want[i]; i++) {
            int col = s_col(t, want[i]);
            if (col >= 0)
                s_field(c, NULL, want[i], s_cell(t, r, col));
        }
        s_set_ref(c, "csv", m->dataset ? m->dataset : file, s_cell(t, r, id));
        c->provider_ref = xasprintf("csv:%s#%s", m->dataset ? m->dataset : places_file, s_cell(t, r, prov));
    }
    return 0;
}

static int s_read_csv(imp_t *m, const map_t *mp)
{
    struct stat sb;
    if (stat(m->path, &sb) < 0)
        return cli_err(m->c, EXIT_FAIL, "cannot read %s: %s", m->path, strerror(errno));
    src_t src = {0};
    int rc = 0;
    if (!S_ISDIR(sb.st_mode)) {
        char *data = NULL, *cause = NULL;
        size_t len = 0;
        if ((rc = file_read(m->path, IMPORT_MAX_FILE, &data, &len, &cause)) < 0)
            return cli_fail(m->c, rc, cause);
        if (s_is_zip(data, len)) {
            rc = s_zip_load(m, m->path, data, len, &src); /* the folder, zipped */
        } else {
            csv_t t;
            rc = s_parse_csv(m, m->path, data, len, &t); /* one sheet */
            if (rc == 0)
                rc = s_csv_places(m, m->path, mp, &t);
            csv_free(&t);
            free(data);
            return rc;
        }
        free(data);
        if (rc)
            return rc;
    } else {
        src.dir = m->path;
    }
    /* a folder (or its zip) written by buurt export --format csv */
    char *pp = NULL, *op = NULL, *cp = NULL;
    csv_t t = {0}, o = {0}, co = {0};
    rc = s_src_csv(m, &src, "places.csv", &t, true, &pp);
    if (rc == 0)
        rc = s_src_csv(m, &src, "offers.csv", &o, false, &op);
    if (rc == 0 || rc == 1)
        rc = s_src_csv(m, &src, "coalitions.csv", &co, false, &cp);
    if (rc == 1)
        rc = 0;
    if (rc == 0)
        rc = s_csv_places(m, pp, mp, &t);
    if (rc == 0 && o.n)
        rc = s_csv_offers(m, op, "places.csv", &o, co.n ? &co : NULL);
    csv_free(&t);
    csv_free(&o);
    csv_free(&co);
    free(pp);
    free(op);
    free(cp);
    s_src_free(&src);
    return rc;
}

/* ---------------------------------------------------------------- hsds */

enum { H_ORG, H_LOC, H_SVC, H_SAL, H_AREA, H_PHONE, H_LANG, H_SCHED, H_ACCESS, H_CAP, H_TERM, H_ATTR, H_ADDR,
       H__N };
static const char *const s_htables[H__N] = {"organization", "location", "service", "service_at_location",
                                            "service_area", "phone", "language", "schedule", "accessibility",
                                            "service_capacity", "taxonomy_term", "attribute", "address"};

typedef struct {
    csv_t t[H__N];
    const char *file[H__N];
    char *paths[H__N];
} hsds_t;

/* Reads table i as NAME.csv, NAMEs.csv or NAMEies.csv (HSDS 3.0's package
 * names its files in the plural) from the folder or archive. */
static int s_hsds_table(imp_t *m, const src_t *src, hsds_t *h, int i)
{
    const char *n = s_htables[i];
    size_t l = strlen(n);
    char *cands[3] = {xasprintf("%s.csv", n), xasprintf("%ss.csv", n),
                      n[l - 1] == 'y' ? xasprintf("%.*sies.csv", (int)l - 1, n) : NULL};
    int rc = 1;
    for (int k = 0; k < 3 && cands[k] && rc == 1; k++)
        rc = s_src_csv(m, src, cands[k], &h->t[i], false, &h->paths[i]);
    for (int k = 0; k < 3; k++)
        free(cands[k]);
    h->file[i] = h->paths[i] ? s_base(h->paths[i]) : n;
    return rc == 1 ? 0 : rc;
}

/*
 * HSDS's JSON forms, turned into the same tables as the CSV package, so
 * that one mapping serves all three (docs/interop.md):
 *
 *   tabular   an object whose members are tables ("organization": [rows])
 *             -- the hsds.json buurt writes, and HSDS's tabular form;
 *   records   HSDS 3.x's API objects: one service or organization, a list
 *             of them, or a page of them ({"contents": [...]}), with their
 *             related objects nested ("service_at_locations", "location",
 *             "addresses", "phones", "languages", "attributes", ...).
 *
 * Nested objects become rows of their table. An array member's rows get
 * the parent's id as PARENT_id (an attribute: link_id and link_entity); an
 * object member gives the parent CHILD_id. A row met twice (the same
 * location under two services) is kept once, its cells merged. Members
 * that are no table buurt reads (contacts, funding, metadata, ...) are
 * skipped: contacts in particular name people.
 */
typedef struct {
    size_t line;
    size_t n;
    char **keys, **vals;
} jrow_t;

typedef struct {
    jrow_t *rows;
    size_t n, cap;
} jtab_t;

static int s_table_of(const char *key)
{
    static const char *const alias[][2] = {
        {"organizations", "organization"},       {"locations", "location"},
        {"services", "service"},                 {"service_at_locations", "service_at_location"},
        {"services_at_location", "service_at_location"}, {"service_areas", "service_area"},
        {"phones", "phone"},                     {"languages", "language"},
        {"schedules", "schedule"},               {"capacities", "service_capacity"},
        {"service_capacities", "service_capacity"}, {"taxonomy_terms", "taxonomy_term"},
        {"attributes", "attribute"},             {"addresses", "address"},
    };
    for (int i = 0; i < H__N; i++)
        if (strcmp(key, s_htables[i]) == 0)
            return i;
    for (size_t k = 0; k < sizeof alias / sizeof alias[0]; k++)
        if (strcmp(key, alias[k][0]) == 0)
            for (int i = 0; i < H__N; i++)
                if (strcmp(alias[k][1], s_htables[i]) == 0)
                    return i;
    return -1;
}

static const char *s_jrow_get(const jrow_t *r, const char *k)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->keys[i], k) == 0)
            return r->vals[i];
    return NULL;
}

/* Sets cell k unless the row has it already. */
static void s_jrow_set(jrow_t *r, const char *k, const char *v)
{
    if (!v || s_jrow_get(r, k))
        return;
    r->keys = xrealloc(r->keys, (r->n + 1) * sizeof *r->keys);
    r->vals = xrealloc(r->vals, (r->n + 1) * sizeof *r->vals);
    r->keys[r->n] = xstrdup(k);
    r->vals[r->n++] = xstrdup(v);
}

static const char *s_jscalar(const json_t *v)
{
    switch (v->type) {
    case JSON_STR:
    case JSON_NUM: return v->s;
    case JSON_BOOL: return v->b ? "true" : "false";
    default: return NULL;
    }
}

static void s_jflat(jtab_t *jt, int tab, const json_t *o, int ptab, const char *pid)
{
    if (o->type != JSON_OBJ)
        return;
    jtab_t *t = &jt[tab];
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->rows = xrealloc(t->rows, t->cap * sizeof *t->rows);
    }
    size_t ri = t->n++;
    memset(&t->rows[ri], 0, sizeof t->rows[ri]);
    t->rows[ri].line = o->line;
    for (size_t i = 0; i < o->n; i++)
        s_jrow_set(&t->rows[ri], o->keys[i], s_jscalar(o->items[i]));
    if (ptab >= 0 && pid && tab == H_ATTR) {
        s_jrow_set(&t->rows[ri], "link_id", pid);
        s_jrow_set(&t->rows[ri], "link_entity", s_htables[ptab]);
    } else if (ptab >= 0 && pid) {
        char fk[64];
        snprintf(fk, sizeof fk, "%s_id", s_htables[ptab]);
        s_jrow_set(&t->rows[ri], fk, pid);
    }
    char *id = s_jrow_get(&t->rows[ri], "id") ? xstrdup(s_jrow_get(&t->rows[ri], "id")) : NULL;
    for (size_t i = 0; i < o->n; i++) {
        const json_t *v = o->items[i];
        int ct = v->type == JSON_OBJ || v->type == JSON_ARR ? s_table_of(o->keys[i]) : -1;
        if (ct < 0)
            continue;
        if (v->type == JSON_OBJ) {
            const json_t *cid = json_get(v, "id");
            if (cid && s_jscalar(cid)) {
                char fk[64];
                snprintf(fk, sizeof fk, "%s_id", s_htables[ct]);
                s_jrow_set(&jt[tab].rows[ri], fk, s_jscalar(cid));
            }
            s_jflat(jt, ct, v, -1, NULL);
        } else {
            for (size_t k = 0; k < v->n; k++)
                s_jflat(jt, ct, v->items[k], tab, id);
        }
    }
    free(id);
}

static const jtab_t *s_jsort_t;
static int s_jsort_cmp(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const char *ix = s_jrow_get(&s_jsort_t->rows[x], "id"), *iy = s_jrow_get(&s_jsort_t->rows[y], "id");
    int d = strcmp(ix ? ix : "", iy ? iy : "");
    return d ? d : x < y ? -1 : 1;
}

/* One table's rows as a csv_t: rows with the same id merged into the
 * first, the columns the union of the rows' cells. */
static void s_jtab_csv(jtab_t *t, csv_t *out)
{
    size_t *ix = xmalloc((t->n + 1) * sizeof *ix);
    bool *dead = xcalloc(t->n + 1, sizeof *dead);
    for (size_t i = 0; i < t->n; i++)
        ix[i] = i;
    s_jsort_t = t;
    qsort(ix, t->n, sizeof *ix, s_jsort_cmp);
    for (size_t i = 1; i < t->n; i++) {
        const char *a = s_jrow_get(&t->rows[ix[i - 1]], "id"), *b = s_jrow_get(&t->rows[ix[i]], "id");
        if (!a || !b || !*a || strcmp(a, b) != 0)
            continue;
        /* the run's first row is the earliest (the sort is stable by position) */
        size_t k = i - 1;
        while (dead[ix[k]])
            k--;
        jrow_t *keep = &t->rows[ix[k]], *gone = &t->rows[ix[i]];
        for (size_t c = 0; c < gone->n; c++)
            s_jrow_set(keep, gone->keys[c], gone->vals[c]);
        dead[ix[i]] = true;
    }
    const char **cols = NULL;
    size_t ncols = 0;
    for (size_t r = 0; r < t->n; r++)
        for (size_t c = 0; !dead[r] && c < t->rows[r].n; c++) {
            size_t k = 0;
            while (k < ncols && strcmp(cols[k], t->rows[r].keys[c]) != 0)
                k++;
            if (k == ncols && ncols < CSV_MAX_CELLS) {
                cols = xrealloc(cols, (ncols + 1) * sizeof *cols);
                cols[ncols++] = t->rows[r].keys[c];
            }
        }
    memset(out, 0, sizeof *out);
    out->sep = ',';
    out->rows = xcalloc(t->n + 1, sizeof *out->rows);
    out->rows[0] = (csv_row_t){1, ncols, xcalloc(ncols + 1, sizeof(char *))};
    for (size_t k = 0; k < ncols; k++)
        out->rows[0].cells[k] = xstrdup(cols[k]);
    out->n = 1;
    for (size_t r = 0; r < t->n; r++) {
        if (dead[r])
            continue;
        csv_row_t *row = &out->rows[out->n++];
        *row = (csv_row_t){t->rows[r].line, ncols, xcalloc(ncols + 1, sizeof(char *))};
        for (size_t k = 0; k < ncols; k++) {
            const char *v = s_jrow_get(&t->rows[r], cols[k]);
            row->cells[k] = xstrdup(v ? v : "");
        }
    }
    free(cols);
    free(ix);
    free(dead);
}

/* Reads HSDS JSON text into h's tables; label names it in reports. */
static int s_hsds_json(imp_t *m, const char *label, const char *data, size_t len, hsds_t *h)
{
    json_t *root = NULL;
    char *cause = NULL;
    if (json_parse(data, len, &root, &cause) < 0) {
        int e = cli_err(m->c, EXIT_FAIL, "%s is not JSON buurt can read: %s; nothing was imported", label, cause);
        free(cause);
        return e;
    }
    jtab_t jt[H__N];
    memset(jt, 0, sizeof jt);
    const json_t *list = root->type == JSON_ARR ? root : json_get(root, "contents");
    if (list && list->type == JSON_ARR) {
        for (size_t i = 0; i < list->n; i++) /* a service has a status; an organization has none */
            s_jflat(jt, json_get(list->items[i], "status") ? H_SVC : H_ORG, list->items[i], -1, NULL);
    } else if (root->type == JSON_OBJ && json_get(root, "id")) {
        s_jflat(jt, json_get(root, "status") ? H_SVC : H_ORG, root, -1, NULL);
    } else if (root->type == JSON_OBJ) {
        for (size_t i = 0; i < root->n; i++) {
            int t = s_table_of(root->keys[i]);
            for (size_t k = 0; t >= 0 && root->items[i]->type == JSON_ARR && k < root->items[i]->n; k++)
                s_jflat(jt, t, root->items[i]->items[k], -1, NULL);
        }
    }
    json_destroy(&root);
    size_t rows = 0;
    for (int i = 0; i < H__N; i++) {
        rows += jt[i].n;
        s_jtab_csv(&jt[i], &h->t[i]);
        h->paths[i] = xstrdup(label);
        h->file[i] = s_base(h->paths[i]);
        for (size_t r = 0; r < jt[i].n; r++) {
            for (size_t c = 0; c < jt[i].rows[r].n; c++) {
                free(jt[i].rows[r].keys[c]);
                free(jt[i].rows[r].vals[c]);
            }
            free(jt[i].rows[r].keys);
            free(jt[i].rows[r].vals);
        }
        free(jt[i].rows);
    }
    if (h->t[H_ORG].n < 2 && h->t[H_LOC].n < 2 && h->t[H_SVC].n < 2)
        return cli_err(m->c, EXIT_FAIL, "%s holds no HSDS organization, location or service (%s); nothing was "
                                        "imported", label, rows ? "only other tables" : "no rows at all");
    return 0;
}

static bool s_looks_json(const char *data, size_t len)
{
    size_t i = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]) && data[i])
        i++;
    return i < len && (data[i] == '{' || data[i] == '[');
}

/* Rows of table i whose column col equals v. Linear: HSDS packages of a
 * neighbourhood are small. */
typedef struct {
    size_t *rows;
    size_t n;
} hits_t;

static hits_t s_where(const csv_t *t, const char *col, const char *v)
{
    hits_t h = {0};
    int c = s_col(t, col);
    if (c < 0 || !v || !*v)
        return h;
    for (size_t r = 1; r < t->n; r++)
        if (strcmp(s_cell(t, r, c), v) == 0) {
            h.rows = xrealloc(h.rows, (h.n + 1) * sizeof *h.rows);
            h.rows[h.n++] = r;
        }
    return h;
}

static const char *s_get(const csv_t *t, size_t r, const char *col)
{
    return s_cell(t, r, s_col(t, col));
}

/* The buurt taxonomy of a term id: "kind", "category", ..., or NULL. */
static const char *s_term(const hsds_t *h, const char *term_id, const char **code)
{
    hits_t x = s_where(&h->t[H_TERM], "id", term_id);
    const char *kind = NULL;
    if (x.n) {
        static const char *const tax[][2] = {{"buurt-place-kind:", "kinds"}, {"buurt-category:", "categories"},
                                             {"buurt-function:", "functions"}, {"buurt-channel:", "channels"}};
        const char *c = s_get(&h->t[H_TERM], x.rows[0], "code");
        char expect[37];
        for (size_t i = 0; i < 4 && !kind; i++) {
            char name[160];
            snprintf(name, sizeof name, "%s%s", tax[i][0], c);
            io_uuid_name(name, expect);
            if (strcmp(expect, term_id) == 0)
                kind = tax[i][1];
        }
        if (!kind && strcmp(c, "buurt-reaches") == 0)
            kind = "reaches";
        *code = c;
    }
    free(x.rows);
    return kind;
}

/* Attributes of link_id: lists of tokens (or reached groups) into fields. */
static void s_attrs(const hsds_t *h, const char *link_id, cand_t *c, const char *only)
{
    hits_t a = s_where(&h->t[H_ATTR], "link_id", link_id);
    for (size_t i = 0; i < a.n; i++) {
        const char *code = NULL;
        const char *field = s_term(h, s_get(&h->t[H_ATTR], a.rows[i], "taxonomy_term_id"), &code);
        if (!field || (only && strcmp(field, only) != 0))
            continue;
        const char *tok = strcmp(field, "reaches") == 0 ? s_get(&h->t[H_ATTR], a.rows[i], "value") : code;
        if (!tok || !*tok)
            continue;
        pv_t *l = (pv_t *)pv_map_get(c->fields, field);
        if (!l) {
            pv_map_set(c->fields, field, pv_arr());
            l = (pv_t *)pv_map_get(c->fields, field);
        }
        pv_arr_push(l, pv_str(tok));
    }
    free(a.rows);
}

static bool s_has_categories(const hsds_t *h, const char *service_id)
{
    cand_t probe = {.fields = pv_map()};
    s_attrs(h, service_id, &probe, "categories");
    bool yes = pv_map_get(probe.fields, "categories") != NULL;
    pv_free(&probe.fields);
    return yes;
}

/* Languages (ISO 639-1 codes only) of rows where col == id. */
static void s_langs(const hsds_t *h, const char *col, const char *id, cand_t *c)
{
    hits_t x = s_where(&h->t[H_LANG], col, id);
    buf_t b = {0};
    for (size_t i = 0; i < x.n; i++) {
        const char *code = s_get(&h->t[H_LANG], x.rows[i], "code");
        if (io_lang_word(code))
            buf_printf(&b, "%s%s", b.len ? "," : "", code);
    }
    if (b.len)
        s_field(c, NULL, "langs", buf_cstr(&b));
    buf_free(&b);
    free(x.rows);
}

static void s_first(const hsds_t *h, int tab, const char *col, const char *id, const char *take, cand_t *c,
                    const char *field)
{
    hits_t x = s_where(&h->t[tab], col, id);
    if (x.n)
        s_field(c, NULL, field, s_get(&h->t[tab], x.rows[0], take));
    free(x.rows);
}

static void s_capacity(const hsds_t *h, const char *service, cand_t *c)
{
    s_first(h, H_CAP, "service_id", service, "available", c, "capacity");
}

/* The service area's name as the area, when it is a name (at most 80
 * characters: HSDS packages often put a sentence there, left out then). */
static void s_area(const hsds_t *h, const char *service, cand_t *c)
{
    hits_t x = s_where(&h->t[H_AREA], "service_id", service);
    if (x.n) {
        const char *a = s_get(&h->t[H_AREA], x.rows[0], "name");
        if (strlen(a) <= 80)
            s_field(c, NULL, "area", a);
    }
    free(x.rows);
}

/* At most max characters of s (whole UTF-8 sequences), ending in "..."
 * when cut. */
static char *s_clip(const char *s, size_t max)
{
    size_t chars = 0, i = 0, cut = 0;
    while (s[i]) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, &cp);
        if (n == 0)
            break;
        if (chars == max - 3)
            cut = i;
        i += n;
        chars++;
    }
    if (chars <= max)
        return xstrdup(s);
    char *out = xmalloc(cut + 4);
    memcpy(out, s, cut);
    memcpy(out + cut, "...", 4);
    return out;
}

/* True when the package is buurt's own export: an attribute names a term
 * of buurt's taxonomies. Its services without buurt-category attributes
 * are then places' own; in any other package, services are offers through
 * the taxonomy mapping. */
static bool s_buurt_package(const hsds_t *h)
{
    const csv_t *a = &h->t[H_ATTR];
    for (size_t r = 1; r < a->n; r++) {
        const char *code = NULL;
        if (s_term(h, s_get(a, r, "taxonomy_term_id"), &code))
            return true;
    }
    return false;
}

/* Categories of a service from another directory (docs/interop.md,
 * "Taxonomy mapping"): its taxonomy terms' codes and names, else its
 * name. NULL when nothing maps. */
static pv_t *s_mapped(const hsds_t *h, const char *sid, const char *name)
{
    pv_t *l = pv_arr();
    hits_t a = s_where(&h->t[H_ATTR], "link_id", sid);
    for (size_t i = 0; i < a.n; i++) {
        hits_t t = s_where(&h->t[H_TERM], "id", s_get(&h->t[H_ATTR], a.rows[i], "taxonomy_term_id"));
        if (t.n) {
            io_categories(s_get(&h->t[H_TERM], t.rows[0], "code"), l);
            io_categories(s_get(&h->t[H_TERM], t.rows[0], "name"), l);
        }
        free(t.rows);
    }
    free(a.rows);
    if (l->u.a.n == 0)
        io_categories(name, l);
    if (l->u.a.n == 0)
        pv_free(&l);
    return l;
}

/* The organisation of a location that names none: that of the first
 * service given there (HSDS's nested JSON puts the organisation on the
 * service). "" when none. */
static const char *s_loc_org(const hsds_t *h, const char *lid)
{
    hits_t sl = s_where(&h->t[H_SAL], "location_id", lid);
    const char *oid = "";
    for (size_t k = 0; k < sl.n && !*oid; k++) {
        hits_t s = s_where(&h->t[H_SVC], "id", s_get(&h->t[H_SAL], sl.rows[k], "service_id"));
        if (s.n)
            oid = s_get(&h->t[H_SVC], s.rows[0], "organization_id");
        free(s.rows);
    }
    free(sl.rows);
    return oid;
}

/* The place's own status, from its service (the one without categories). */
static void s_place_service(const hsds_t *h, const char *svc_row_id, size_t r, cand_t *c)
{
    const csv_t *s = &h->t[H_SVC];
    const char *status = s_get(s, r, "status"), *alert = s_get(s, r, "alert");
    const char *colon = strstr(alert, ": ");
    char st[32] = "";
    if (*alert) {
        size_t n = colon ? (size_t)(colon - alert) : strlen(alert);
        snprintf(st, sizeof st, "%.*s", (int)(n < 31 ? n : 31), alert);
    }
    if (*st && rec_token_ok(REC_PLACE_STATUS, st)) {
        s_field(c, NULL, "status", st);
        if (colon)
            s_field(c, NULL, "status_note", colon + 2);
    } else {
        s_field(c, NULL, "status", strcmp(status, "active") == 0 ? "open" : *status ? "closed" : "");
        if (*alert)
            s_field(c, NULL, "status_note", alert);
    }
    if (pv_map_get(c->fields, "status"))
        s_field(c, NULL, "status_at", s_get(s, r, "last_modified"));
    s_capacity(h, svc_row_id, c);
    s_area(h, svc_row_id, c);
    s_attrs(h, svc_row_id, c, "functions");
    s_attrs(h, svc_row_id, c, "channels");
}

static int s_read_hsds(imp_t *m)
{
    struct stat sb;
    if (stat(m->path, &sb) < 0)
        return cli_err(m->c, EXIT_FAIL, "cannot read %s: %s", m->path, strerror(errno));
    hsds_t h = {0};
    src_t src = {0};
    int rc = 0;
    bool json = false;
    /* pass 1, all of it: a folder, a zip archive or a JSON file, every
     * table read and parsed before anything else happens */
    if (S_ISDIR(sb.st_mode)) {
        src.dir = m->path;
    } else {
        char *data = NULL, *cause = NULL;
        size_t len = 0;
        if ((rc = file_read(m->path, IMPORT_MAX_FILE, &data, &len, &cause)) < 0)
            return cli_fail(m->c, rc, cause);
        if (s_is_zip(data, len)) {
            rc = s_zip_load(m, m->path, data, len, &src);
        } else if (s_looks_json(data, len)) {
            rc = s_hsds_json(m, m->path, data, len, &h);
            json = true;
        } else {
            rc = cli_err(m->c, EXIT_FAIL, "%s is neither a folder, a zip archive nor JSON: not an HSDS data "
                                          "package; nothing was imported", m->path);
        }
        free(data);
    }
    for (int i = 0; i < H__N && rc == 0 && !json; i++)
        rc = s_hsds_table(m, &src, &h, i);
    if (rc == 0 && !json && !h.paths[H_ORG] && !src.dir) {
        /* an archive without CSV tables: its JSON form, if it has one */
        for (size_t i = 0; i < src.n && !json; i++) {
            size_t nl = strlen(src.names[i]);
            if (nl > 5 && strcmp(src.names[i] + nl - 5, ".json") == 0 &&
                strcmp(s_base(src.names[i]), "datapackage.json") != 0) {
                for (int k = 0; k < H__N; k++) {
                    csv_free(&h.t[k]);
                    free(h.paths[k]);
                    h.paths[k] = NULL;
                }
                char *label = xasprintf("%s/%s", m->path, src.names[i]);
                rc = s_hsds_json(m, label, src.data[i], src.len[i], &h);
                free(label);
                json = true;
            }
        }
    }
    if (rc == 0 && !json &&
        (!h.paths[H_ORG] || s_col(&h.t[H_ORG], "id") < 0 || s_col(&h.t[H_ORG], "name") < 0))
        rc = cli_err(m->c, EXIT_FAIL, "%s is not an HSDS data package: no organization table with id and name; "
                                      "nothing was imported", m->path);
    if (rc == 0 && !json && h.paths[H_LOC] && s_col(&h.t[H_LOC], "id") < 0)
        rc = cli_err(m->c, EXIT_FAIL, "%s: the location table has no id column; nothing was imported", h.paths[H_LOC]);
    if (rc == 0 && !json && h.paths[H_SVC] &&
        (s_col(&h.t[H_SVC], "id") < 0 || s_col(&h.t[H_SVC], "organization_id") < 0))
        rc = cli_err(m->c, EXIT_FAIL, "%s: the service table has no id or organization_id column; nothing was imported",
                     h.paths[H_SVC]);
    s_src_free(&src);
    const char *ds = m->dataset;
    if (rc)
        goto done;

    const csv_t *org = &h.t[H_ORG], *loc = &h.t[H_LOC], *svc = &h.t[H_SVC];
    /* places: one per location, with its organisation */
    for (size_t r = 1; r < loc->n; r++) {
        cand_t *c = s_cand(m, REC_PLACE, h.file[H_LOC], loc->rows[r].line);
        const char *lid = s_get(loc, r, "id"), *oid = s_get(loc, r, "organization_id");
        if (!*lid)
            s_reject(c, "a location without an id (HSDS requires one)");
        s_set_ref(c, "hsds", ds, lid);
        if (!*oid) /* nested JSON: the organisation of a service given here */
            oid = s_loc_org(&h, lid);
        hits_t o = s_where(org, "id", oid);
        const char *name = s_get(loc, r, "name");
        if (!*name && o.n)
            name = s_get(org, o.rows[0], "name");
        s_field(c, NULL, "name", name);
        s_field(c, NULL, "lat", s_get(loc, r, "latitude"));
        s_field(c, NULL, "lon", s_get(loc, r, "longitude"));
        /* the address: HSDS's address table, else the location's description */
        hits_t a = s_where(&h.t[H_ADDR], "location_id", lid);
        if (a.n) {
            buf_t b = {0};
            const char *parts[] = {"address_1", "address_2", "postal_code", "city", NULL};
            for (int k = 0; parts[k]; k++) {
                const char *p = s_get(&h.t[H_ADDR], a.rows[0], parts[k]);
                if (*p)
                    buf_printf(&b, "%s%s", b.len ? ", " : "", p);
            }
            s_field(c, NULL, "address", b.len ? buf_cstr(&b) : "");
            buf_free(&b);
        } else {
            s_field(c, NULL, "address", s_get(loc, r, "description"));
        }
        free(a.rows);
        s_langs(&h, "location_id", lid, c);
        s_first(&h, H_ACCESS, "location_id", lid, "description", c, "access");
        s_first(&h, H_SCHED, "location_id", lid, "description", c, "hours");
        if (o.n) {
            /* contact: the organisation's e-mail and phone numbers */
            buf_t b = {0};
            const char *email = s_get(org, o.rows[0], "email");
            if (*email)
                buf_printf(&b, "%s", email);
            hits_t p = s_where(&h.t[H_PHONE], "organization_id", oid);
            for (size_t k = 0; k < p.n; k++) {
                const char *num = s_get(&h.t[H_PHONE], p.rows[k], "number"),
                           *d = s_get(&h.t[H_PHONE], p.rows[k], "description");
                buf_printf(&b, "%s%s%s%s", b.len ? ", " : "", num, *d ? " " : "", d);
            }
            free(p.rows);
            if (b.len)
                s_field(c, NULL, "contact", buf_cstr(&b));
            buf_free(&b);
            s_attrs(&h, oid, c, "kinds");
            s_attrs(&h, oid, c, "reaches");
        }
        free(o.rows);
        if (!pv_map_get(c->fields, "kinds"))
            s_field(c, NULL, "kinds", "other"); /* HSDS has no kind of place: docs/interop.md */
        /* its own service: the first service at this location without categories */
        hits_t sl = s_where(&h.t[H_SAL], "location_id", lid);
        for (size_t k = 0; k < sl.n; k++) {
            const char *sid = s_get(&h.t[H_SAL], sl.rows[k], "service_id");
            if (s_has_categories(&h, sid))
                continue;
            hits_t s = s_where(svc, "id", sid);
            if (s.n)
                s_place_service(&h, sid, s.rows[0], c);
            free(s.rows);
            break;
        }
        free(sl.rows);
    }
    /* offers: services with buurt categories, or (from other directories)
     * with categories through the taxonomy mapping, at a location imported
     * above; every other service is listed as left out */
    bool own = s_buurt_package(&h);
    for (size_t r = 1; r < svc->n; r++) {
        const char *sid = s_get(svc, r, "id"), *sname = s_get(svc, r, "name");
        size_t line = svc->rows[r].line;
        cand_t probe = {.fields = pv_map()};
        s_attrs(&h, sid, &probe, "categories");
        pv_t *cats = pv_map_get(probe.fields, "categories") ? pv_dup(pv_map_get(probe.fields, "categories")) : NULL;
        pv_free(&probe.fields);
        if (!cats && !own)
            cats = s_mapped(&h, sid, sname);
        hits_t sl = s_where(&h.t[H_SAL], "service_id", sid);
        size_t nsl = sl.n;
        char *at = nsl ? xstrdup(s_get(&h.t[H_SAL], sl.rows[0], "location_id")) : NULL;
        free(sl.rows);
        if (!cats) {
            if (!own)
                s_leave(m, h.file[H_SVC], line, "service '%s' maps to no buurt category (docs/interop.md, "
                                                "\"Taxonomy mapping\")", sname);
            else if (!nsl)
                s_leave(m, h.file[H_SVC], line, "service '%s' is neither a place's own nor an offer", sname);
            /* else: a place's own service, read into the place above */
            free(at);
            continue;
        }
        if (!nsl) {
            s_leave(m, h.file[H_SVC], line, "service '%s' is at no location (a coalition's offer): buurt keeps "
                                            "offers at places", sname);
            pv_free(&cats);
            continue;
        }
        cand_t *c = s_cand(m, REC_OFFER, h.file[H_SVC], line);
        s_set_ref(c, "hsds", ds, sid);
        c->provider_ref = xasprintf("hsds:%s#%s", ds, at);
        free(at);
        pv_map_set(c->fields, "categories", cats);
        s_area(&h, sid, c);
        s_langs(&h, "service_id", sid, c);
        s_capacity(&h, sid, c);
        const char *d = s_get(svc, r, "description");
        char *note = own ? xstrdup(d) : s_clip(d, 280); /* another directory's long description */
        s_field(c, NULL, "note", note);
        free(note);
    }
done:
    for (int i = 0; i < H__N; i++) {
        csv_free(&h.t[i]);
        free(h.paths[i]);
    }
    return rc;
}

/* ---------------------------------------------------------------- write */

typedef struct {
    const char *ref;
    uint8_t id[32];
} ref_t;

static int s_ref_cmp(const void *a, const void *b)
{
    return strcmp(((const ref_t *)a)->ref, ((const ref_t *)b)->ref);
}

/* Existing places and offers by source_ref, sorted (deleted ones too: a
 * record someone deleted is not imported again). */
static ref_t *s_refs(repo_t *r, size_t *n, uint64_t now)
{
    ref_t *v = NULL;
    size_t k = 0;
    for (int kind = 0; kind < 2; kind++) {
        query_t q = {kind ? REC_OFFER : REC_PLACE, NULL, NULL, NULL, true, now};
        const entity_t **es = NULL;
        size_t m = query_list(r, &q, &es);
        v = xrealloc(v, (k + m + 1) * sizeof *v);
        for (size_t i = 0; i < m; i++) {
            const char *ref = pv_get_str(es[i]->fields, "source_ref");
            if (!ref)
                continue;
            v[k].ref = xstrdup(ref);
            memcpy(v[k].id, es[i]->entity, 32);
            k++;
        }
        free(es);
    }
    qsort(v, k, sizeof *v, s_ref_cmp);
    *n = k;
    return v;
}

static const ref_t *s_ref_find(const ref_t *v, size_t n, const char *ref)
{
    ref_t key = {.ref = ref};
    return bsearch(&key, v, n, sizeof *v, s_ref_cmp);
}

/* A new candidate's id, for offers of this import that name it. */
typedef struct {
    ref_t *v;
    size_t n, cap;
} made_t;

/*
 * New places after the first are signed here and stored together, with
 * one fsync per IMPORT_BATCH (repo_ingest_checked) instead of one each:
 * 10,000 rows in seconds, not minutes, on an SD card. The first new place
 * goes through repo_edit, whose check of this node's right to write
 * (membership, quota) then holds for the others: creating a place needs no
 * more than that. Offers always go through repo_edit, after a flush, since
 * who may make an offer depends on its provider.
 */
#define IMPORT_BATCH 2048
typedef struct {
    buf_t wire[IMPORT_BATCH];
    repo_in_t in[IMPORT_BATCH];
    size_t n;
} batch_t;

static int s_flush(imp_t *m, repo_t *r, batch_t *b)
{
    if (b->n == 0)
        return 0;
    uint8_t added[IMPORT_BATCH];
    char *cause = NULL;
    int rc = repo_ingest_checked(r, b->in, b->n, added, &cause);
    size_t stored = 0;
    for (size_t i = 0; rc >= 0 && i < b->n; i++)
        stored += added[i] == REPO_ADDED;
    for (size_t i = 0; i < b->n; i++)
        buf_free(&b->wire[i]);
    size_t n = b->n;
    b->n = 0;
    if (rc < 0)
        return cli_fail(m->c, rc, cause);
    if (stored != n)
        return cli_err(m->c, EXIT_FAIL, "only %zu of %zu new places were stored (the mesh's quota for a member: "
                                        "buurt mesh show); import again later to add the rest", stored, n);
    return 0;
}

static int s_batch_add(imp_t *m, repo_t *r, batch_t *b, const pv_t *fields, uint8_t id_out[32])
{
    edit_t e = {.kind = REC_PLACE, .fields = (pv_t *)fields};
    memcpy(e.author, repo_key(r)->pk, 32);
    e.hlc = repo_reserve_hlc(r);
    edit_bound_id(e.author, e.hlc, e.entity); /* docs/protocol.md §7.6 */
    char *cause = NULL;
    buf_t *w = &b->wire[b->n];
    memset(w, 0, sizeof *w);
    int rc = edit_sign(&e, repo_key(r)->sk, EDIT_CREATING, w, &cause);
    if (rc < 0) {
        buf_free(w);
        return cli_fail(m->c, rc, cause);
    }
    repo_in_t *in = &b->in[b->n++];
    in->data = w->data;
    in->len = w->len;
    memcpy(in->id, e.id, 32);
    in->head = (edit_head_t){.kind = e.kind, .hlc = e.hlc};
    memcpy(in->head.entity, e.entity, 32);
    memcpy(in->head.author, e.author, 32);
    memcpy(id_out, e.entity, 32);
    return b->n == IMPORT_BATCH ? s_flush(m, r, b) : 0;
}

static int s_write(imp_t *m, cand_t *c, repo_t *r, const ref_t *refs, size_t nrefs, made_t *made, batch_t *batch)
{
    char *cause = NULL;
    int frc;
    if (c->kind == REC_OFFER && (frc = s_flush(m, r, batch)))
        return frc;
    if (c->kind == REC_OFFER) {
        const ref_t *p = s_ref_find(refs, nrefs, c->provider_ref);
        for (size_t i = 0; !p && i < made->n; i++)
            if (strcmp(made->v[i].ref, c->provider_ref) == 0)
                p = &made->v[i];
        if (!p) {
            s_reject(c, "its provider %s is not a place of this import", c->provider_ref);
            return 0;
        }
        char hex[65];
        hex_encode(p->id, 32, hex);
        pv_map_set(c->fields, "provider", pv_str(hex));
    }
    const ref_t *have = s_ref_find(refs, nrefs, c->ref);
    c->changed = pv_arr();
    if (!have) {
        if (c->kind == REC_PLACE && pv_map_get(c->fields, "status") && !pv_map_get(c->fields, "status_at"))
            pv_map_set(c->fields, "status_at", pv_int((int64_t)cli_edit_now(m->c)));
        pv_map_set(c->fields, "source_ref", pv_str(c->ref));
        for (size_t i = 0; i < c->fields->u.m.n; i++)
            pv_arr_push(c->changed, pv_str(c->fields->u.m.keys[i]));
        int rc;
        if (c->kind == REC_PLACE && made->n > 0)
            rc = s_batch_add(m, r, batch, c->fields, c->id);
        else if ((rc = repo_edit(r, c->kind, NULL, c->fields, c->id, &cause)) < 0)
            return cli_fail(m->c, rc, cause);
        if (rc)
            return rc;
        c->action = "created";
        if (made->n == made->cap) {
            made->cap = made->cap ? 2 * made->cap : 64;
            made->v = xrealloc(made->v, made->cap * sizeof *made->v);
        }
        made->v[made->n].ref = c->ref;
        memcpy(made->v[made->n++].id, c->id, 32);
        return 0;
    }
    memcpy(c->id, have->id, 32);
    const entity_t *e = repo_entity(r, have->id);
    pv_t *diff = pv_map();
    for (size_t i = 0; e && i < c->fields->u.m.n; i++) {
        const char *k = c->fields->u.m.keys[i];
        const pv_t *old = pv_map_get(e->fields, k);
        if (!old || !pv_equal(old, c->fields->u.m.vals[i])) {
            pv_map_set(diff, k, pv_dup(c->fields->u.m.vals[i]));
            pv_arr_push(c->changed, pv_str(k));
        }
    }
    if (c->kind == REC_PLACE && pv_map_get(diff, "status") && !pv_map_get(diff, "status_at")) {
        pv_map_set(diff, "status_at", pv_int((int64_t)cli_edit_now(m->c)));
        pv_arr_push(c->changed, pv_str("status_at"));
    }
    if (diff->u.m.n == 0) {
        c->action = "unchanged";
        pv_free(&diff);
        return 0;
    }
    int rc = repo_edit(r, c->kind, have->id, diff, NULL, &cause);
    pv_free(&diff);
    if (rc < 0)
        return cli_fail(m->c, rc, cause);
    c->action = "updated";
    return 0;
}

/* Rejects a row whose key an earlier row of the same kind has: sorted by
 * (kind, key, position), so 10,000 rows cost n log n. */
static const imp_t *s_dup_m;
static int s_dup_cmp(const void *a, const void *b)
{
    const cand_t *x = &s_dup_m->v[*(const size_t *)a], *y = &s_dup_m->v[*(const size_t *)b];
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    int d = strcmp(x->ref, y->ref);
    if (d)
        return d;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void s_duplicates(imp_t *m)
{
    size_t *ix = xmalloc((m->n + 1) * sizeof *ix), k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->v[i].ref)
            ix[k++] = i;
    s_dup_m = m;
    qsort(ix, k, sizeof *ix, s_dup_cmp);
    for (size_t i = 1; i < k; i++) {
        cand_t *a = &m->v[ix[i - 1]], *b = &m->v[ix[i]];
        if (a->kind == b->kind && strcmp(a->ref, b->ref) == 0) {
            /* report against the first row with that key */
            size_t first = i - 1;
            while (first > 0 && strcmp(m->v[ix[first - 1]].ref, b->ref) == 0 && m->v[ix[first - 1]].kind == b->kind)
                first--;
            s_reject(b, "the same key as line %zu", m->v[ix[first]].line);
        }
    }
    free(ix);
}

/* ---------------------------------------------------------------- command */

static void s_usage(FILE *f)
{
    fputs("usage: buurt import --format hsds|csv PATH [--map FILE] [--dry-run] [--skip-bad]\n\n"
          "Reads places and offers into this node, signed by it (docs/interop.md):\n"
          "  csv   PATH is a spreadsheet saved as CSV (one place a row; --map FILE says\n"
          "        what its columns mean), or a folder (or .zip) written by buurt export\n"
          "        --format csv\n"
          "  hsds  PATH is an Open Referral HSDS data package: a folder of CSV tables,\n"
          "        a .zip of one, or HSDS JSON (tabular, or services and organizations)\n\n"
          "Each record remembers where it came from (source_ref), so a second import\n"
          "of the same rows updates what changed and adds no duplicates. A rejected row\n"
          "is reported with its line and reason, and then nothing is written.\n\n"
          "options:\n"
          "  --format F     hsds or csv (required)\n"
          "  --map FILE     what the sheet's columns mean (csv; see examples/social-map.map)\n"
          "  --source NAME  the dataset's name in source_ref (default: the file's or\n"
          "                 folder's name)\n"
          "  --dry-run      check everything and say what would happen; write nothing\n"
          "  --skip-bad     import the good rows even when some are rejected\n"
          "  --json         print the outcome as JSON\n"
          "  --help         this help\n",
          f);
}

int cmd_import(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"map", required_argument, NULL, 'm'},
                                       {"source", required_argument, NULL, 's'},
                                       {"dry-run", no_argument, NULL, 'n'},
                                       {"skip-bad", no_argument, NULL, 'k'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *format = NULL, *mapfile = NULL, *source = NULL;
    bool dry = false, skip = false;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
        switch (ch) {
        case 'f': format = optarg; break;
        case 'm': mapfile = optarg; break;
        case 's': source = optarg; break;
        case 'n': dry = true; break;
        case 'k': skip = true; break;
        case 'j': c->json = true; break;
        case 'h': s_usage(c->out); return EXIT_OK;
        case ':': return cli_usage(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage(c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (!format)
        return cli_usage(c, "--format is required: hsds or csv");
    if (strcmp(format, "csv") != 0 && strcmp(format, "hsds") != 0)
        return cli_usage(c, "unknown format '%s' (one of: hsds, csv)", format);
    if (optind + 1 != argc)
        return cli_usage(c, "give one PATH to import");
    if (mapfile && strcmp(format, "csv") != 0)
        return cli_usage(c, "--map applies to --format csv only");
    if (source && (!*source || strpbrk(source, "#\n")))
        return cli_usage(c, "--source must be a name without '#'");

    imp_t m = {.c = c, .format = format, .path = argv[optind], .dataset = source};
    map_t mp = {0};
    int rc = 0;
    char *dsname = NULL;
    if (mapfile && (rc = s_read_map(c, mapfile, &mp)))
        goto done;
    if (!m.dataset && mp.source)
        m.dataset = mp.source;
    if (!m.dataset && strcmp(format, "hsds") == 0) {
        dsname = xstrdup(s_base(m.path));
        size_t n = strlen(dsname);
        while (n > 1 && dsname[n - 1] == '/')
            dsname[--n] = '\0';
        /* a folder and its zip or JSON form name the same dataset */
        if (n > 4 && strcasecmp(dsname + n - 4, ".zip") == 0)
            dsname[n - 4] = '\0';
        else if (n > 5 && strcasecmp(dsname + n - 5, ".json") == 0)
            dsname[n - 5] = '\0';
        m.dataset = dsname;
    }
    repo_t *r = cli_repo(c);
    if (!r) {
        rc = EXIT_FAIL;
        goto done;
    }
    /* pass 1: read */
    rc = strcmp(format, "csv") == 0 ? s_read_csv(&m, mapfile ? &mp : NULL) : s_read_hsds(&m);
    if (rc)
        goto done;
    /* pass 2: check, and no key twice */
    for (size_t i = 0; i < m.n; i++)
        s_check(&m.v[i]);
    s_duplicates(&m);
    size_t nrefs = 0;
    ref_t *refs = s_refs(r, &nrefs, cli_now(c));
    /* an offer's provider is a place already here or a good row of this
     * import: checked now, so that writing cannot stop half-way */
    for (size_t i = 0; i < m.n; i++) {
        cand_t *x = &m.v[i];
        if (x->kind != REC_OFFER || x->reject || s_ref_find(refs, nrefs, x->provider_ref))
            continue;
        bool found = false;
        for (size_t j = 0; j < m.n && !found; j++)
            found = m.v[j].kind == REC_PLACE && !m.v[j].reject && m.v[j].ref &&
                    strcmp(m.v[j].ref, x->provider_ref) == 0;
        if (!found)
            s_reject(x, "its provider (%s) is not a place here nor a good row of this import", x->provider_ref);
    }
    size_t bad = 0;
    for (size_t i = 0; i < m.n; i++)
        bad += m.v[i].reject != NULL;
    /* pass 3: write (unless told not to, or rows were rejected) */
    size_t created = 0, updated = 0, unchanged = 0;
    bool write = !dry && (bad == 0 || skip);
    {
        made_t made = {0};
        batch_t *batch = xcalloc(1, sizeof *batch);
        for (size_t i = 0; i < m.n && rc == 0; i++) {
            cand_t *x = &m.v[i];
            if (x->reject)
                continue;
            if (write) {
                rc = s_write(&m, x, r, refs, nrefs, &made, batch);
            } else {
                /* what would happen */
                const ref_t *have = s_ref_find(refs, nrefs, x->ref);
                x->action = have ? "update" : "create";
                if (have) {
                    const entity_t *e = repo_entity(r, have->id);
                    bool same = true;
                    for (size_t k = 0; e && k < x->fields->u.m.n && same; k++) {
                        const pv_t *old = pv_map_get(e->fields, x->fields->u.m.keys[k]);
                        same = old && pv_equal(old, x->fields->u.m.vals[k]);
                    }
                    if (same)
                        x->action = "unchanged";
                    memcpy(x->id, have->id, 32);
                }
            }
            if (x->reject)
                continue;
            else if (x->action && (!strcmp(x->action, "created") || !strcmp(x->action, "create")))
                created++;
            else if (x->action && (!strcmp(x->action, "updated") || !strcmp(x->action, "update")))
                updated++;
            else if (x->action)
                unchanged++;
        }
        if (rc == 0)
            rc = s_flush(&m, r, batch);
        for (size_t i = 0; i < batch->n; i++)
            buf_free(&batch->wire[i]);
        free(batch);
        for (size_t i = 0; i < nrefs; i++)
            free((char *)refs[i].ref);
        free(refs);
        free(made.v);
        if (rc)
            goto done;
    }
    /* report: what is left out by design, then what was rejected */
    for (size_t i = 0; i < m.nleft && !c->json; i++) {
        if (i == IMPORT_LIST_LEFT) {
            fprintf(c->err, "buurt import: left out: %zu more (--json lists them all)\n", m.nleft - i);
            break;
        }
        fprintf(c->err, "buurt import: left out: %s:%zu: %s\n", m.left[i].file, m.left[i].line, m.left[i].why);
    }
    for (size_t i = 0; i < m.n; i++)
        if (m.v[i].reject)
            fprintf(c->err, "buurt import: %s:%zu: %s\n", m.v[i].file, m.v[i].line, m.v[i].reject);
    if (c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"format\":\"%s\",\"path\":", format);
        json_str(&b, m.path, strlen(m.path));
        buf_printf(&b, ",\"dry_run\":%s,\"written\":%s,\"rows\":%zu,\"created\":%zu,\"updated\":%zu,"
                       "\"unchanged\":%zu,\"ignored\":%zu,\"left_out\":[",
                   dry ? "true" : "false", write ? "true" : "false", m.n, created, updated, unchanged, m.nleft);
        for (size_t i = 0; i < m.nleft; i++) {
            buf_printf(&b, "%s{\"file\":", i ? "," : "");
            json_str(&b, m.left[i].file, strlen(m.left[i].file));
            buf_printf(&b, ",\"line\":%zu,\"reason\":", m.left[i].line);
            json_str(&b, m.left[i].why, strlen(m.left[i].why));
            buf_putc(&b, '}');
        }
        buf_printf(&b, "],\"rejected\":[");
        size_t k = 0;
        for (size_t i = 0; i < m.n; i++) {
            if (!m.v[i].reject)
                continue;
            buf_printf(&b, "%s{\"file\":", k++ ? "," : "");
            json_str(&b, m.v[i].file, strlen(m.v[i].file));
            buf_printf(&b, ",\"line\":%zu,\"reason\":", m.v[i].line);
            json_str(&b, m.v[i].reject, strlen(m.v[i].reject));
            buf_putc(&b, '}');
        }
        buf_printf(&b, "],\"records\":[");
        k = 0;
        for (size_t i = 0; i < m.n; i++) {
            cand_t *x = &m.v[i];
            if (x->reject || !x->action)
                continue;
            char hex[65] = "";
            if (strcmp(x->action, "create") != 0)
                hex_encode(x->id, 32, hex);
            buf_printf(&b, "%s{\"kind\":\"%s\",\"source_ref\":", k++ ? "," : "", rec_kind_name(x->kind));
            json_str(&b, x->ref, strlen(x->ref));
            buf_printf(&b, ",\"line\":%zu,\"action\":\"%s\",\"id\":%s%s%s", x->line, x->action, *hex ? "\"" : "",
                       *hex ? hex : "null", *hex ? "\"" : "");
            if (x->changed) {
                buf_printf(&b, ",\"fields\":");
                pv_to_json(x->changed, &b);
            }
            buf_putc(&b, '}');
        }
        buf_printf(&b, "]}");
        cli_print_json(c, &b);
        buf_free(&b);
    } else {
        fprintf(c->out, "%s%zu new, %zu updated, %zu unchanged, %zu rejected, %zu left out%s\n",
                write ? "imported: " : dry ? "dry run, would import: " : "nothing imported, it would have been: ", created, updated,
                unchanged, bad, m.nleft, m.nleft ? " (listed on stderr; docs/interop.md says why)" : "");
    }
    if (bad && !skip) {
        if (!dry)
            fprintf(c->err, "buurt import: %zu row%s rejected, so nothing was imported; fix them, or give "
                            "--skip-bad to import the others\n", bad, bad == 1 ? "" : "s");
        rc = EXIT_FAIL;
    }
done:
    s_imp_free(&m);
    s_map_free(&mp);
    free(dsname);
    return rc;
}
