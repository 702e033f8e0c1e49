/*
 * cmd_export.c -- `buurt export`: the shared directory in the formats
 * coordinators and their tools already read.
 *
 *   csv      a folder of one sheet per record kind (places, offers, needs,
 *            coalitions, bulletins), UTF-8 with a byte order mark
 *   hsds     a folder: Open Referral HSDS 3.x tables as CSV, their
 *            datapackage.json, and the tabular JSON form (hsds.json)
 *   hxl      one CSV file in 3W shape, with a row of HXL hashtags
 *   geojson  one RFC 7946 FeatureCollection of the places with coordinates
 *
 * csv and hsds write a folder, or with -o NAME.zip the same files as one
 * zip archive (libzip), built in memory and written atomically.
 *
 * Invariants: the same store (and the same BUURT_NOW_MS, which decides
 * whether a need is still open) gives the same bytes: rows are sorted by
 * record id, columns and keys are in a fixed order, and no time but the
 * records' own is written. Only the fields listed in docs/interop.md are
 * written; node ids, editors, coordinators and private coalitions' records
 * never are, and a need summary that looks like personal data
 * (rec_privacy_scan) is withheld. Needs have no HSDS table and are not
 * exported as HSDS; in HXL they are counted by area and category.
 */
#include "cli/cli.h"
#include "cli/interop.h"
#include "node/file.h"
#include "node/query.h"
#include "proto/csv.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>

/* ---------------------------------------------------------------- records */

typedef struct {
    const entity_t **v;
    size_t n;
} set_t;

typedef struct {
    set_t places, offers, needs, coalitions, bulletins;
    uint64_t now;
} data_t;

static int s_by_id(const void *a, const void *b)
{
    const entity_t *x = *(const entity_t *const *)a, *y = *(const entity_t *const *)b;
    return memcmp(x->entity, y->entity, 32);
}

/* Records of kind (area and kind filters as `list`), private ones left
 * out, sorted by id. */
static set_t s_collect(repo_t *r, rec_kind_t kind, const char *area, const char *category,
                       uint64_t now)
{
    query_t q = {kind, area, category, NULL, false, now};
    set_t s = {0};
    s.n = query_list(r, &q, &s.v);
    size_t k = 0;
    uint8_t coal[32];
    for (size_t i = 0; i < s.n; i++)
        if (!repo_private_of(r, s.v[i]->entity, coal))
            s.v[k++] = s.v[i];
    s.n = k;
    qsort(s.v, s.n, sizeof *s.v, s_by_id);
    return s;
}

static const entity_t *s_find(const set_t *s, const char *hex)
{
    uint8_t id[32];
    if (!hex || hex_decode(hex, id, 32) < 0)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->v[i]->entity, id, 32) == 0)
            return s->v[i];
    return NULL;
}

static const char *S(const pv_t *f, const char *k)
{
    const char *s = pv_get_str(f, k);
    return s ? s : "";
}

/* A list field joined with ", " into a static-per-call buffer. */
static const char *s_list(buf_t *b, const pv_t *f, const char *k)
{
    buf_reset(b);
    io_join(pv_map_get(f, k), ", ", b);
    return buf_cstr(b);
}

static const char *s_int(char *out, size_t n, const pv_t *f, const char *k)
{
    const pv_t *v = pv_map_get(f, k);
    if (!v || v->type != PV_INT)
        return "";
    snprintf(out, n, "%lld", (long long)v->u.i);
    return out;
}

static const char *s_tm(char *out, size_t n, const pv_t *f, const char *k)
{
    const pv_t *v = pv_map_get(f, k);
    if (!v || v->type != PV_INT)
        return "";
    io_time((uint64_t)v->u.i, out, n);
    return out;
}

static const char *s_coord(char *out, size_t n, const pv_t *f, const char *k)
{
    const pv_t *v = pv_map_get(f, k);
    if (!v || v->type != PV_INT)
        return "";
    io_deg(v->u.i, out, n);
    return out;
}

static void s_row(buf_t *b, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        csv_cell(b, cells[i], i == 0);
    csv_end_row(b);
}

/* A need's summary, or a note that it was withheld. */
static const char *s_summary(const entity_t *e)
{
    const char *s = S(e->fields, "summary");
    return rec_privacy_scan(s, NULL) < 0 ? "(withheld: looks like personal data)" : s;
}

/* ---------------------------------------------------------------- files */

typedef struct {
    cli_t *c;
    const char *dir;   /* folder formats: the folder; else NULL */
    const char *zpath; /* folder formats written as a .zip: its path; else NULL */
    zip_source_t *zsrc; /* the archive, built in memory */
    zip_t *zip;
    buf_t json;        /* the --json summary's "files" items */
    size_t nfiles;
} out_t;

/*
 * A folder format written as one .zip archive (-o NAME.zip): the same
 * files at the archive's root, deflated. Built in memory and written with
 * file_write_atomic like any other export, so a failed export leaves no
 * half archive. Deterministic: entries in the order written, and every
 * entry's time 2000-01-01 00:00 (zip keeps local time without a zone, so
 * the time is given as the local midnight: the same bytes in any zone).
 */
static int s_zip_open(out_t *o, const char *path)
{
    zip_error_t ze;
    zip_error_init(&ze);
    o->zpath = path;
    o->zsrc = zip_source_buffer_create(NULL, 0, 0, &ze);
    if (o->zsrc) {
        zip_source_keep(o->zsrc); /* kept past zip_close, to read the bytes back */
        o->zip = zip_open_from_source(o->zsrc, ZIP_TRUNCATE, &ze);
    }
    if (!o->zip) {
        int e = cli_err(o->c, EXIT_FAIL, "cannot make a zip archive: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return e;
    }
    zip_error_fini(&ze);
    return 0;
}

static int s_zip_add(out_t *o, const char *name, const buf_t *b)
{
    void *copy = xmalloc(b->len ? b->len : 1);
    if (b->len)
        memcpy(copy, b->data, b->len);
    zip_source_t *fs = zip_source_buffer(o->zip, copy, b->len, 1);
    zip_int64_t i = fs ? zip_file_add(o->zip, name, fs, ZIP_FL_ENC_UTF_8) : -1;
    if (i < 0) {
        if (fs)
            zip_source_free(fs);
        else
            free(copy);
        return cli_err(o->c, EXIT_FAIL, "cannot add %s to the zip archive: %s", name, zip_strerror(o->zip));
    }
    struct tm tm = {.tm_year = 100, .tm_mon = 0, .tm_mday = 1, .tm_isdst = -1};
    zip_file_set_mtime(o->zip, (zip_uint64_t)i, mktime(&tm), 0);
    return 0;
}

/* Closes the archive and writes it to o->zpath; frees it either way. */
static int s_zip_close(out_t *o, int rc)
{
    if (!o->zip)
        return rc;
    if (rc) {
        zip_discard(o->zip);
        zip_source_free(o->zsrc);
        o->zip = NULL;
        return rc;
    }
    buf_t b = {0};
    zip_stat_t st;
    if (zip_close(o->zip) < 0) {
        rc = cli_err(o->c, EXIT_FAIL, "cannot make the zip archive: %s", zip_strerror(o->zip));
        zip_discard(o->zip);
    } else if (zip_source_stat(o->zsrc, &st) < 0 || zip_source_open(o->zsrc) < 0) {
        rc = cli_err(o->c, EXIT_FAIL, "cannot read the zip archive back: %s",
                     zip_error_strerror(zip_source_error(o->zsrc)));
    } else {
        b.data = xmalloc((size_t)st.size + 1);
        b.cap = (size_t)st.size + 1;
        zip_int64_t got = zip_source_read(o->zsrc, b.data, st.size);
        zip_source_close(o->zsrc);
        b.len = got < 0 ? 0 : (size_t)got;
        char *cause = NULL;
        if (got != (zip_int64_t)st.size)
            rc = cli_err(o->c, EXIT_FAIL, "cannot read the zip archive back");
        else if ((rc = file_write_atomic(o->zpath, b.data, b.len, 0644, &cause)) < 0)
            rc = cli_fail(o->c, rc, cause);
    }
    zip_source_free(o->zsrc);
    o->zip = NULL;
    buf_free(&b);
    return rc;
}

static int s_write(out_t *o, const char *path_or_name, const buf_t *b, size_t rows)
{
    char *path = o->dir ? xasprintf("%s/%s", o->dir, path_or_name)
                 : o->zip ? xasprintf("%s/%s", o->zpath, path_or_name) : xstrdup(path_or_name);
    char *cause = NULL;
    int rc = 0;
    if (o->zip) {
        if ((rc = s_zip_add(o, path_or_name, b))) {
            free(path);
            return rc;
        }
    } else if (strcmp(path, "-") == 0) {
        fwrite(b->data, 1, b->len, o->c->out);
    } else if ((rc = file_write_atomic(path, b->data ? (const void *)b->data : "", b->len, 0644, &cause)) < 0) {
        free(path);
        return cli_fail(o->c, rc, cause);
    }
    buf_printf(&o->json, "%s{\"path\":", o->nfiles++ ? "," : "");
    json_str(&o->json, path, strlen(path));
    buf_printf(&o->json, ",\"rows\":%zu,\"bytes\":%zu}", rows, b->len);
    free(path);
    return 0;
}

/* ---------------------------------------------------------------- csv */

static int s_export_csv(out_t *o, const data_t *d)
{
    buf_t b = {0}, l1 = {0}, l2 = {0}, l3 = {0}, l4 = {0}, l5 = {0};
    char n1[32], n2[32], n3[32], t1[32], t2[32];
    int rc = 0;

    static const char *const ph[] = {"id", "name", "kinds", "address", "area", "lat", "lon", "langs", "hours",
                                     "access", "functions", "contact", "status", "status_note", "status_at",
                                     "capacity", "channels", "reaches", "hub", "source_ref"};
    csv_bom(&b);
    s_row(&b, ph, 20);
    for (size_t i = 0; i < d->places.n; i++) {
        const entity_t *e = d->places.v[i];
        const pv_t *f = e->fields;
        char id[65];
        hex_encode(e->entity, 32, id);
        const pv_t *hub = pv_map_get(f, "hub");
        const char *row[] = {id, S(f, "name"), s_list(&l1, f, "kinds"), S(f, "address"), S(f, "area"),
                             s_coord(n1, sizeof n1, f, "lat"), s_coord(n2, sizeof n2, f, "lon"),
                             s_list(&l2, f, "langs"), S(f, "hours"), S(f, "access"),
                             s_list(&l3, f, "functions"), S(f, "contact"), S(f, "status"),
                             S(f, "status_note"), s_tm(t1, sizeof t1, f, "status_at"),
                             s_int(n3, sizeof n3, f, "capacity"), s_list(&l4, f, "channels"),
                             s_list(&l5, f, "reaches"), hub && hub->type == PV_BOOL ? (hub->u.b ? "yes" : "no") : "",
                             S(f, "source_ref")};
        s_row(&b, row, 20);
    }
    if ((rc = s_write(o, "places.csv", &b, d->places.n)))
        goto done;

    static const char *const oh[] = {"id", "provider", "provider_name", "categories", "area", "langs",
                                     "capacity", "until", "note", "source_ref"};
    buf_reset(&b);
    csv_bom(&b);
    s_row(&b, oh, 10);
    for (size_t i = 0; i < d->offers.n; i++) {
        const entity_t *e = d->offers.v[i];
        const pv_t *f = e->fields;
        char id[65];
        hex_encode(e->entity, 32, id);
        const entity_t *p = s_find(&d->places, pv_get_str(f, "provider"));
        if (!p)
            p = s_find(&d->coalitions, pv_get_str(f, "provider"));
        const char *row[] = {id, S(f, "provider"), p ? query_label(p) : "", s_list(&l1, f, "categories"),
                             S(f, "area"), s_list(&l2, f, "langs"), s_int(n1, sizeof n1, f, "capacity"),
                             s_tm(t1, sizeof t1, f, "until"), S(f, "note"), S(f, "source_ref")};
        s_row(&b, row, 10);
    }
    if ((rc = s_write(o, "offers.csv", &b, d->offers.n)))
        goto done;

    static const char *const nh[] = {"id", "category", "summary", "area", "langs", "urgency", "people",
                                     "status", "expires", "coalition"};
    buf_reset(&b);
    csv_bom(&b);
    s_row(&b, nh, 10);
    for (size_t i = 0; i < d->needs.n; i++) {
        const entity_t *e = d->needs.v[i];
        const pv_t *f = e->fields;
        char id[65];
        hex_encode(e->entity, 32, id);
        const char *row[] = {id, S(f, "category"), s_summary(e), S(f, "area"), s_list(&l1, f, "langs"),
                             S(f, "urgency"), s_int(n1, sizeof n1, f, "people"), query_status(e, d->now),
                             s_tm(t1, sizeof t1, f, "expires"), S(f, "coalition")};
        s_row(&b, row, 10);
    }
    if ((rc = s_write(o, "needs.csv", &b, d->needs.n)))
        goto done;

    static const char *const ch[] = {"id", "name", "purpose", "area", "functions", "contact", "members"};
    buf_reset(&b);
    csv_bom(&b);
    s_row(&b, ch, 7);
    for (size_t i = 0; i < d->coalitions.n; i++) {
        const entity_t *e = d->coalitions.v[i];
        const pv_t *f = e->fields;
        char id[65];
        hex_encode(e->entity, 32, id);
        buf_reset(&l2); /* members: "PLACE-ID role", sorted by the field keys */
        for (size_t k = 0; k < f->u.m.n; k++) {
            if (strncmp(f->u.m.keys[k], "member:", 7) != 0)
                continue;
            const char *role = pv_get_str(f->u.m.vals[k], "role");
            buf_printf(&l2, "%s%s %s", l2.len ? "; " : "", f->u.m.keys[k] + 7, role ? role : "");
        }
        const char *row[] = {id, S(f, "name"), S(f, "purpose"), S(f, "area"), s_list(&l1, f, "functions"),
                             S(f, "contact"), buf_cstr(&l2)};
        s_row(&b, row, 7);
    }
    if ((rc = s_write(o, "coalitions.csv", &b, d->coalitions.n)))
        goto done;

    static const char *const bh[] = {"id", "date", "title", "body", "langs", "source", "area", "replaces",
                                     "translation_of"};
    buf_reset(&b);
    csv_bom(&b);
    s_row(&b, bh, 9);
    for (size_t i = 0; i < d->bulletins.n; i++) {
        const entity_t *e = d->bulletins.v[i];
        const pv_t *f = e->fields;
        char id[65];
        hex_encode(e->entity, 32, id);
        io_time(hlc_ms(e->created), t2, sizeof t2);
        const char *row[] = {id, t2, S(f, "title"), S(f, "body"), s_list(&l1, f, "langs"), S(f, "source"),
                             S(f, "area"), S(f, "replaces"), S(f, "translation_of")};
        s_row(&b, row, 9);
    }
    rc = s_write(o, "bulletins.csv", &b, d->bulletins.n);
done:
    buf_free(&b);
    buf_free(&l1);
    buf_free(&l2);
    buf_free(&l3);
    buf_free(&l4);
    buf_free(&l5);
    return rc;
}

/* ---------------------------------------------------------------- geojson */

static int s_export_geojson(out_t *o, const data_t *d, const char *path)
{
    buf_t b = {0}, l = {0};
    size_t n = 0;
    buf_printf(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (size_t i = 0; i < d->places.n; i++) {
        const entity_t *e = d->places.v[i];
        const pv_t *f = e->fields, *lat = pv_map_get(f, "lat"), *lon = pv_map_get(f, "lon");
        if (!lat || !lon || lat->type != PV_INT || lon->type != PV_INT)
            continue;
        char id[65], la[24], lo[24], t[32];
        hex_encode(e->entity, 32, id);
        io_deg(lat->u.i, la, sizeof la);
        io_deg(lon->u.i, lo, sizeof lo);
        /* RFC 7946 §3.1.1: longitude first */
        buf_printf(&b, "%s\n{\"type\":\"Feature\",\"id\":\"%s\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[%s,%s]},"
                       "\"properties\":{\"name\":", n++ ? "," : "", id, lo, la);
        const char *name = S(f, "name");
        json_str(&b, name, strlen(name));
        buf_printf(&b, ",\"kinds\":");
        pv_to_json(pv_map_get(f, "kinds"), &b);
        static const char *const keys[] = {"area", "address", "status", "status_note", NULL};
        for (int k = 0; keys[k]; k++) {
            const char *v = pv_get_str(f, keys[k]);
            buf_printf(&b, ",\"%s\":", keys[k]);
            if (v)
                json_str(&b, v, strlen(v));
            else
                buf_append(&b, "null", 4);
        }
        buf_printf(&b, ",\"status_at\":");
        if (*s_tm(t, sizeof t, f, "status_at"))
            json_str(&b, t, strlen(t));
        else
            buf_append(&b, "null", 4);
        buf_printf(&b, ",\"langs\":");
        const pv_t *langs = pv_map_get(f, "langs");
        if (langs)
            pv_to_json(langs, &b);
        else
            buf_append(&b, "[]", 2);
        buf_printf(&b, "}}");
    }
    buf_printf(&b, "%s]}\n", n ? "\n" : "");
    int rc = s_write(o, path, &b, n);
    buf_free(&b);
    buf_free(&l);
    return rc;
}

/* ---------------------------------------------------------------- hxl */

typedef struct {
    const char *area, *category;
    int64_t needs, people;
    uint64_t newest;
} hxl_need_t;

static int s_hxl_need_cmp(const void *a, const void *b)
{
    const hxl_need_t *x = a, *y = b;
    int d = strcmp(x->area, y->area);
    return d ? d : strcmp(x->category, y->category);
}

static int s_export_hxl(out_t *o, const data_t *d, const char *path)
{
    static const char *const head[] = {"Record", "Organisation", "Organisation type", "Location", "Area",
                                       "Sector", "Status", "Languages", "Capacity", "People in need",
                                       "Open needs", "Latitude", "Longitude", "Date reported", "Id"};
    static const char *const tags[] = {"#meta+type", "#org+name", "#org+type", "#loc+name", "#adm2+name",
                                       "#sector+code", "#status", "#language+code", "#capacity", "#inneed",
                                       "#x_needs+num", "#geo+lat", "#geo+lon", "#date+reported", "#meta+id"};
    enum { NC = 15 };
    buf_t b = {0}, l1 = {0}, l2 = {0};
    char n1[32], la[24], lo[24], date[16], id[65];
    size_t rows = 0;
    s_row(&b, head, NC);
    s_row(&b, tags, NC);
    for (size_t i = 0; i < d->places.n; i++) {
        const entity_t *e = d->places.v[i];
        const pv_t *f = e->fields;
        hex_encode(e->entity, 32, id);
        int64_t at = pv_get_int(f, "status_at", 0);
        io_date(at > 0 ? (uint64_t)at : hlc_ms(e->updated), date, sizeof date);
        const char *row[] = {"place", S(f, "name"), s_list(&l1, f, "kinds"), S(f, "name"), S(f, "area"), "",
                             S(f, "status"), s_list(&l2, f, "langs"), s_int(n1, sizeof n1, f, "capacity"),
                             "", "", s_coord(la, sizeof la, f, "lat"), s_coord(lo, sizeof lo, f, "lon"), date, id};
        s_row(&b, row, NC);
        rows++;
    }
    /* offers: one row per category, so a 3W filter by sector finds them */
    for (size_t i = 0; i < d->offers.n; i++) {
        const entity_t *e = d->offers.v[i];
        const pv_t *f = e->fields, *cats = pv_map_get(f, "categories");
        hex_encode(e->entity, 32, id);
        const entity_t *p = s_find(&d->places, pv_get_str(f, "provider"));
        const entity_t *co = p ? NULL : s_find(&d->coalitions, pv_get_str(f, "provider"));
        const char *org = p ? S(p->fields, "name") : co ? S(co->fields, "name") : "";
        int64_t until = pv_get_int(f, "until", 0);
        const char *st = until > 0 && (uint64_t)until < d->now ? "ended" : "active";
        io_date(hlc_ms(e->updated), date, sizeof date);
        for (size_t k = 0; cats && cats->type == PV_ARR && k < cats->u.a.n; k++) {
            const char *row[] = {"offer", org, co ? "coalition" : p ? s_list(&l1, p->fields, "kinds") : "",
                                 p ? S(p->fields, "name") : "", S(f, "area"), cats->u.a.items[k]->u.s.p, st,
                                 s_list(&l2, f, "langs"), s_int(n1, sizeof n1, f, "capacity"), "", "",
                                 p ? s_coord(la, sizeof la, p->fields, "lat") : "",
                                 p ? s_coord(lo, sizeof lo, p->fields, "lon") : "", date, id};
            s_row(&b, row, NC);
            rows++;
        }
    }
    /* needs: counted by area and category, open and claimed ones only;
     * never a row per need, let alone per person */
    hxl_need_t *agg = xcalloc(d->needs.n + 1, sizeof *agg);
    size_t na = 0;
    for (size_t i = 0; i < d->needs.n; i++) {
        const entity_t *e = d->needs.v[i];
        const char *st = query_status(e, d->now);
        if (strcmp(st, "open") != 0 && strcmp(st, "claimed") != 0)
            continue;
        const char *area = S(e->fields, "area"), *cat = S(e->fields, "category");
        size_t k = 0;
        while (k < na && !(strcmp(agg[k].area, area) == 0 && strcmp(agg[k].category, cat) == 0))
            k++;
        if (k == na)
            agg[na++] = (hxl_need_t){area, cat, 0, 0, 0};
        agg[k].needs++;
        agg[k].people += pv_get_int(e->fields, "people", 1);
        if (hlc_ms(e->updated) > agg[k].newest)
            agg[k].newest = hlc_ms(e->updated);
    }
    qsort(agg, na, sizeof *agg, s_hxl_need_cmp);
    for (size_t k = 0; k < na; k++) {
        char people[24], count[24];
        snprintf(people, sizeof people, "%lld", (long long)agg[k].people);
        snprintf(count, sizeof count, "%lld", (long long)agg[k].needs);
        io_date(agg[k].newest, date, sizeof date);
        const char *row[] = {"needs", "", "", "", agg[k].area, agg[k].category, "open", "", "", people, count,
                             "", "", date, ""};
        s_row(&b, row, NC);
        rows++;
    }
    free(agg);
    int rc = s_write(o, path, &b, rows);
    buf_free(&b);
    buf_free(&l1);
    buf_free(&l2);
    return rc;
}

/* ---------------------------------------------------------------- hsds */

/* A column of an HSDS table, as HSDS 3.x defines it (docs/interop.md). */
typedef struct {
    const char *name;
    bool number;      /* JSON number, datapackage type "number" */
    bool required;
    const char *ref;  /* foreign key: the table whose id it names */
    const char *enums; /* comma list of allowed values */
    const char *format; /* "uuid", "email", "date-time" or NULL */
} col_t;

typedef struct {
    const char *name;
    const char *desc;
    const col_t *cols;
    buf_t csv, json;
    size_t rows;
} tab_t;

#define C(n) {n, false, false, NULL, NULL, NULL}
#define ID {"id", false, true, NULL, NULL, "uuid"}
#define REQ(n) {n, false, true, NULL, NULL, NULL}
#define REF(n, t, req) {n, false, req, t, NULL, "uuid"}
#define NUM(n, req) {n, true, req, NULL, NULL, NULL}
#define END_COLS {NULL, false, false, NULL, NULL, NULL}

static const col_t s_org_cols[] = {ID, REQ("name"), REQ("description"), {"email", false, false, NULL, NULL, "email"},
                                   END_COLS};
static const col_t s_program_cols[] = {ID, REF("organization_id", "organization", true), REQ("name"),
                                       REQ("description"), END_COLS};
static const col_t s_service_cols[] = {ID,
                                       REF("organization_id", "organization", true),
                                       REF("program_id", "program", false),
                                       REQ("name"),
                                       C("description"),
                                       {"status", false, true, NULL, "active,inactive,defunct,temporarily closed", NULL},
                                       C("alert"),
                                       {"last_modified", false, false, NULL, NULL, "date-time"},
                                       END_COLS};
static const col_t s_location_cols[] = {ID,
                                        {"location_type", false, true, NULL, "physical,postal,virtual", NULL},
                                        REF("organization_id", "organization", false),
                                        C("name"),
                                        C("description"),
                                        NUM("latitude", false),
                                        NUM("longitude", false),
                                        END_COLS};
static const col_t s_sal_cols[] = {ID, REF("service_id", "service", true), REF("location_id", "location", true),
                                   END_COLS};
static const col_t s_area_cols[] = {ID, REF("service_id", "service", false), C("name"), END_COLS};
static const col_t s_phone_cols[] = {ID, REF("organization_id", "organization", false), REQ("number"),
                                     C("type"), C("description"), END_COLS};
static const col_t s_lang_cols[] = {ID, REF("service_id", "service", false), REF("location_id", "location", false),
                                    C("code"), END_COLS};
static const col_t s_sched_cols[] = {ID, REF("service_id", "service", false), REF("location_id", "location", false),
                                     C("description"), END_COLS};
static const col_t s_access_cols[] = {ID, REF("location_id", "location", false), C("description"), END_COLS};
static const col_t s_unit_cols[] = {ID, REQ("name"), END_COLS};
static const col_t s_cap_cols[] = {ID,
                                   REF("service_id", "service", true),
                                   REF("unit_id", "unit", true),
                                   NUM("available", true),
                                   C("description"),
                                   {"updated", false, true, NULL, NULL, "date-time"},
                                   END_COLS};
static const col_t s_tax_cols[] = {ID, REQ("name"), REQ("description"), END_COLS};
static const col_t s_term_cols[] = {ID, C("code"), REQ("name"), REQ("description"),
                                    REF("taxonomy_id", "taxonomy", false), END_COLS};
static const col_t s_attr_cols[] = {ID, {"link_id", false, true, NULL, NULL, "uuid"},
                                    REF("taxonomy_term_id", "taxonomy_term", true), C("link_type"),
                                    REQ("link_entity"), C("value"), END_COLS};

enum { T_ORG, T_PROGRAM, T_SERVICE, T_LOCATION, T_SAL, T_AREA, T_PHONE, T_LANG, T_SCHED, T_ACCESS,
       T_UNIT, T_CAP, T_TAX, T_TERM, T_ATTR, T__N };

static void s_tabs_init(tab_t *t)
{
    const tab_t init[T__N] = {
        {"organization", "places and coalitions as organisations", s_org_cols, {0}, {0}, 0},
        {"program", "coalitions: the services offered through them", s_program_cols, {0}, {0}, 0},
        {"service", "each place's own service (its status) and each offer", s_service_cols, {0}, {0}, 0},
        {"location", "where each place is", s_location_cols, {0}, {0}, 0},
        {"service_at_location", "which service is given where", s_sal_cols, {0}, {0}, 0},
        {"service_area", "the area an offer or a place serves", s_area_cols, {0}, {0}, 0},
        {"phone", "public phone numbers of organisations", s_phone_cols, {0}, {0}, 0},
        {"language", "languages spoken at a location or in a service", s_lang_cols, {0}, {0}, 0},
        {"schedule", "opening hours, as text", s_sched_cols, {0}, {0}, 0},
        {"accessibility", "accessibility of a location", s_access_cols, {0}, {0}, 0},
        {"unit", "the unit of capacities", s_unit_cols, {0}, {0}, 0},
        {"service_capacity", "capacity now (HSDS 3.1)", s_cap_cols, {0}, {0}, 0},
        {"taxonomy", "buurt's token lists", s_tax_cols, {0}, {0}, 0},
        {"taxonomy_term", "the tokens of buurt's lists", s_term_cols, {0}, {0}, 0},
        {"attribute", "kinds, categories, functions, channels and groups reached", s_attr_cols, {0}, {0}, 0},
    };
    for (int i = 0; i < T__N; i++) {
        t[i] = init[i];
        for (const col_t *c = t[i].cols; c->name; c++)
            csv_cell(&t[i].csv, c->name, c == t[i].cols);
        csv_end_row(&t[i].csv);
    }
}

static void s_tabs_free(tab_t *t)
{
    for (int i = 0; i < T__N; i++) {
        buf_free(&t[i].csv);
        buf_free(&t[i].json);
    }
}

/* Adds a row: one value per column (NULL or "" for none). */
static void s_tab_row(tab_t *t, const char *const *vals)
{
    buf_printf(&t->json, "%s\n{", t->rows ? "," : "");
    bool first = true;
    for (size_t i = 0; t->cols[i].name; i++) {
        const char *v = vals[i] ? vals[i] : "";
        csv_cell(&t->csv, v, i == 0);
        if (!*v)
            continue;
        buf_printf(&t->json, "%s\"%s\":", first ? "" : ",", t->cols[i].name);
        first = false;
        if (t->cols[i].number)
            buf_append(&t->json, v, strlen(v));
        else
            json_str(&t->json, v, strlen(v));
    }
    csv_end_row(&t->csv);
    buf_putc(&t->json, '}');
    t->rows++;
}

static void s_datapackage(const tab_t *t, buf_t *b)
{
    buf_printf(b, "{\n  \"name\": \"buurt-export\",\n  \"title\": \"buurt: places and offers of a neighbourhood\",\n"
                  "  \"profile\": \"tabular-data-package\",\n  \"version\": \"3.1.0\",\n"
                  "  \"homepage\": \"http://docs.openreferral.org\",\n  \"resources\": [");
    for (int i = 0; i < T__N; i++) {
        buf_printf(b, "%s\n    {\"name\": \"%s\", \"path\": \"%s.csv\", \"description\": \"%s\", \"format\": \"csv\", "
                      "\"mediatype\": \"text/csv\", \"encoding\": \"utf-8\", \"profile\": \"tabular-data-resource\",\n"
                      "     \"schema\": {\"primaryKey\": \"id\", \"fields\": [",
                   i ? "," : "", t[i].name, t[i].name, t[i].desc);
        for (const col_t *c = t[i].cols; c->name; c++) {
            buf_printf(b, "%s\n       {\"name\": \"%s\", \"type\": \"%s\"", c == t[i].cols ? "" : ",", c->name,
                       c->number ? "number" : "string");
            if (c->format)
                buf_printf(b, ", \"format\": \"%s\"", c->format);
            buf_printf(b, ", \"constraints\": {\"required\": %s", c->required ? "true" : "false");
            if (c == t[i].cols)
                buf_printf(b, ", \"unique\": true");
            if (c->enums) {
                buf_printf(b, ", \"enum\": [");
                const char *s = c->enums;
                for (int k = 0; *s; k++) {
                    size_t n = strcspn(s, ",");
                    buf_printf(b, "%s\"%.*s\"", k ? ", " : "", (int)n, s);
                    s += n + (s[n] == ',');
                }
                buf_putc(b, ']');
            }
            buf_printf(b, "}}");
        }
        buf_printf(b, "]");
        bool fk = false;
        for (const col_t *c = t[i].cols; c->name; c++) {
            if (!c->ref)
                continue;
            buf_printf(b, "%s\n       {\"fields\": \"%s\", \"reference\": {\"resource\": \"%s\", \"fields\": \"id\"}}",
                       fk ? "," : ",\n      \"foreignKeys\": [", c->name, c->ref);
            fk = true;
        }
        if (fk)
            buf_printf(b, "]");
        buf_printf(b, "}}");
    }
    buf_printf(b, "\n  ]\n}\n");
}

/* The taxonomies: one per token list buurt exports as attributes. */
typedef struct {
    const char *field;      /* record field */
    const char *taxonomy;   /* taxonomy name, also the term id prefix */
    const char *link_type;
    const char *const *tokens; /* NULL: free text, the attribute's value */
} taxo_t;

static const taxo_t s_taxa[] = {
    {"kinds", "buurt-place-kind", "kind", REC_PLACE_KINDS},
    {"categories", "buurt-category", "category", REC_CATEGORIES},
    {"functions", "buurt-function", "function", REC_FUNCTIONS},
    {"channels", "buurt-channel", "channel", REC_CHANNELS},
    {"reaches", "buurt-reaches", "reaches", NULL},
};

static void s_term_id(const char *taxonomy, const char *token, char out[37])
{
    char name[160];
    snprintf(name, sizeof name, "%s:%s", taxonomy, token ? token : "");
    io_uuid_name(name, out);
}

static void s_taxonomies(tab_t *t)
{
    for (size_t i = 0; i < sizeof s_taxa / sizeof s_taxa[0]; i++) {
        char tid[37], desc[200];
        io_uuid_name(s_taxa[i].taxonomy, tid);
        snprintf(desc, sizeof desc, "buurt's %s (docs/protocol.md §8)", s_taxa[i].field);
        const char *tr[] = {tid, s_taxa[i].taxonomy, desc};
        s_tab_row(&t[T_TAX], tr);
        if (!s_taxa[i].tokens) {
            char id[37];
            s_term_id(s_taxa[i].taxonomy, NULL, id);
            const char *row[] = {id, s_taxa[i].taxonomy, "group reached", "a group the place reaches; the value names it",
                                 tid};
            s_tab_row(&t[T_TERM], row);
            continue;
        }
        for (const char *const *k = s_taxa[i].tokens; *k; k++) {
            char id[37];
            s_term_id(s_taxa[i].taxonomy, *k, id);
            const char *row[] = {id, *k, *k, desc, tid};
            s_tab_row(&t[T_TERM], row);
        }
    }
}

/* attribute rows for the token lists of f that apply to entity kind. */
static void s_attributes(tab_t *t, const pv_t *f, const char *link_id, const char *link_entity,
                         const uint8_t ent[32], const char *const *fields)
{
    for (size_t i = 0; i < sizeof s_taxa / sizeof s_taxa[0]; i++) {
        bool want = false;
        for (const char *const *x = fields; *x && !want; x++)
            want = strcmp(*x, s_taxa[i].field) == 0;
        const pv_t *l = want ? pv_map_get(f, s_taxa[i].field) : NULL;
        for (size_t k = 0; l && l->type == PV_ARR && k < l->u.a.n; k++) {
            const char *tok = l->u.a.items[k]->u.s.p;
            char id[37], term[37], what[200];
            snprintf(what, sizeof what, "attribute:%s:%s", s_taxa[i].field, tok);
            io_uuid(ent, what, id);
            s_term_id(s_taxa[i].taxonomy, s_taxa[i].tokens ? tok : NULL, term);
            const char *row[] = {id, link_id, term, s_taxa[i].link_type, link_entity, s_taxa[i].tokens ? "" : tok};
            s_tab_row(&t[T_ATTR], row);
        }
    }
}

/* HSDS service status for a place status: only closed is not active. */
static const char *s_service_status(const char *st)
{
    return st && strcmp(st, "closed") == 0 ? "temporarily closed" : "active";
}

static void s_capacity(tab_t *t, const uint8_t ent[32], const char *service, int64_t cap, uint64_t at,
                       const char *unit)
{
    char id[37], n[24], tm[32];
    io_uuid(ent, "service_capacity", id);
    snprintf(n, sizeof n, "%lld", (long long)cap);
    io_time(at, tm, sizeof tm);
    const char *row[] = {id, service, unit, n, "people who can be helped now", tm};
    s_tab_row(&t[T_CAP], row);
}

static void s_languages(tab_t *t, const uint8_t ent[32], const pv_t *langs, const char *service,
                        const char *location)
{
    for (size_t k = 0; langs && langs->type == PV_ARR && k < langs->u.a.n; k++) {
        char id[37], what[32];
        snprintf(what, sizeof what, "language:%s", langs->u.a.items[k]->u.s.p);
        io_uuid(ent, what, id);
        const char *row[] = {id, service, location, langs->u.a.items[k]->u.s.p};
        s_tab_row(&t[T_LANG], row);
    }
}

static int s_export_hsds(out_t *o, const data_t *d)
{
    tab_t t[T__N];
    s_tabs_init(t);
    char unit[37];
    io_uuid_name("unit:people", unit);
    const char *ur[] = {unit, "people"};
    s_tab_row(&t[T_UNIT], ur);
    s_taxonomies(t);
    buf_t b = {0};
    int rc = 0;

    for (size_t i = 0; i < d->places.n; i++) {
        const entity_t *e = d->places.v[i];
        const pv_t *f = e->fields;
        char org[37], loc[37], svc[37], x[37], la[24], lo[24], tm[32];
        io_uuid(e->entity, "organization", org);
        io_uuid(e->entity, "location", loc);
        io_uuid(e->entity, "service", svc);
        io_contact_t ct;
        io_contact_split(S(f, "contact"), &ct);
        /* description is required: what kind of place, where, whom it reaches */
        buf_reset(&b);
        io_join(pv_map_get(f, "kinds"), ", ", &b);
        if (pv_get_str(f, "area"))
            buf_printf(&b, " in %s", S(f, "area"));
        if (ct.rest)
            buf_printf(&b, ". Contact: %s", ct.rest);
        const char *orow[] = {org, S(f, "name"), buf_cstr(&b), ct.email};
        s_tab_row(&t[T_ORG], orow);
        for (size_t k = 0; k < ct.nphones; k++) {
            char what[32];
            snprintf(what, sizeof what, "phone:%zu", k);
            io_uuid(e->entity, what, x);
            const char *prow[] = {x, org, ct.phones[k], "voice", ct.phone_notes[k]};
            s_tab_row(&t[T_PHONE], prow);
        }
        io_contact_free(&ct);
        bool online = !pv_get_str(f, "address") && !pv_map_get(f, "lat");
        const char *lrow[] = {loc, online ? "virtual" : "physical", org, S(f, "name"), S(f, "address"),
                              s_coord(la, sizeof la, f, "lat"), s_coord(lo, sizeof lo, f, "lon")};
        s_tab_row(&t[T_LOCATION], lrow);
        s_languages(t, e->entity, pv_map_get(f, "langs"), NULL, loc);
        if (pv_get_str(f, "access")) {
            io_uuid(e->entity, "accessibility", x);
            const char *arow[] = {x, loc, S(f, "access")};
            s_tab_row(&t[T_ACCESS], arow);
        }
        /* the place's own service: its status, hours and capacity */
        const char *st = pv_get_str(f, "status");
        buf_reset(&b);
        if (st && (strcmp(st, "open") != 0 || pv_get_str(f, "status_note")))
            buf_printf(&b, "%s%s%s", st, pv_get_str(f, "status_note") ? ": " : "", S(f, "status_note"));
        uint64_t at = (uint64_t)pv_get_int(f, "status_at", 0);
        io_time(at ? at : hlc_ms(e->updated), tm, sizeof tm);
        const char *srow[] = {svc, org, NULL, S(f, "name"), NULL, s_service_status(st), buf_cstr(&b), tm};
        s_tab_row(&t[T_SERVICE], srow);
        io_uuid(e->entity, "service_at_location", x);
        const char *salrow[] = {x, svc, loc};
        s_tab_row(&t[T_SAL], salrow);
        if (pv_get_str(f, "area")) {
            io_uuid(e->entity, "service_area", x);
            const char *r[] = {x, svc, S(f, "area")};
            s_tab_row(&t[T_AREA], r);
        }
        if (pv_get_str(f, "hours")) {
            io_uuid(e->entity, "schedule", x);
            const char *r[] = {x, NULL, loc, S(f, "hours")};
            s_tab_row(&t[T_SCHED], r);
        }
        if (pv_map_get(f, "capacity"))
            s_capacity(t, e->entity, svc, pv_get_int(f, "capacity", 0), at ? at : hlc_ms(e->updated), unit);
        static const char *const oattrs[] = {"kinds", "reaches", NULL}, *const sattrs[] = {"functions", "channels", NULL};
        s_attributes(t, f, org, "organization", e->entity, oattrs);
        s_attributes(t, f, svc, "service", e->entity, sattrs);
    }

    for (size_t i = 0; i < d->coalitions.n; i++) {
        const entity_t *e = d->coalitions.v[i];
        const pv_t *f = e->fields;
        char org[37], prog[37];
        io_uuid(e->entity, "organization", org);
        io_uuid(e->entity, "program", prog);
        io_contact_t ct;
        io_contact_split(S(f, "contact"), &ct);
        const char *purpose = pv_get_str(f, "purpose") ? S(f, "purpose") : "a coalition of local partners";
        const char *orow[] = {org, S(f, "name"), purpose, ct.email};
        s_tab_row(&t[T_ORG], orow);
        io_contact_free(&ct);
        const char *prow[] = {prog, org, S(f, "name"), purpose};
        s_tab_row(&t[T_PROGRAM], prow);
    }

    for (size_t i = 0; i < d->offers.n; i++) {
        const entity_t *e = d->offers.v[i];
        const pv_t *f = e->fields;
        const char *prov = pv_get_str(f, "provider");
        const entity_t *p = s_find(&d->places, prov), *co = p ? NULL : s_find(&d->coalitions, prov);
        if (!p && !co)
            continue; /* its provider is not exported (a filter, or private) */
        char svc[37], org[37], prog[37], x[37], tm[32];
        io_uuid(e->entity, "service", svc);
        io_uuid((p ? p : co)->entity, "organization", org);
        if (co)
            io_uuid(co->entity, "program", prog);
        buf_reset(&b);
        io_join(pv_map_get(f, "categories"), ", ", &b);
        buf_printf(&b, " by %s", query_label(p ? p : co));
        char name[400];
        snprintf(name, sizeof name, "%s", buf_cstr(&b));
        int64_t until = pv_get_int(f, "until", 0);
        const char *pst = p ? pv_get_str(p->fields, "status") : NULL;
        const char *status = until > 0 && (uint64_t)until < d->now ? "inactive" : s_service_status(pst);
        buf_reset(&b);
        if (pst && strcmp(pst, "open") != 0)
            buf_printf(&b, "%s%s%s", pst, pv_get_str(p->fields, "status_note") ? ": " : "",
                       S(p->fields, "status_note"));
        io_time(hlc_ms(e->updated), tm, sizeof tm);
        const char *srow[] = {svc, org, co ? prog : NULL, name, S(f, "note"), status, buf_cstr(&b), tm};
        s_tab_row(&t[T_SERVICE], srow);
        if (p) {
            char loc[37];
            io_uuid(p->entity, "location", loc);
            io_uuid(e->entity, "service_at_location", x);
            const char *r[] = {x, svc, loc};
            s_tab_row(&t[T_SAL], r);
        }
        if (pv_get_str(f, "area")) {
            io_uuid(e->entity, "service_area", x);
            const char *r[] = {x, svc, S(f, "area")};
            s_tab_row(&t[T_AREA], r);
        }
        s_languages(t, e->entity, pv_map_get(f, "langs"), svc, NULL);
        if (pv_map_get(f, "capacity"))
            s_capacity(t, e->entity, svc, pv_get_int(f, "capacity", 0), hlc_ms(e->updated), unit);
        static const char *const attrs[] = {"categories", NULL};
        s_attributes(t, f, svc, "service", e->entity, attrs);
    }

    size_t rows = 0;
    for (int i = 0; i < T__N && rc == 0; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.csv", t[i].name);
        rc = s_write(o, name, &t[i].csv, t[i].rows);
        rows += t[i].rows;
    }
    if (rc == 0) {
        buf_reset(&b);
        s_datapackage(t, &b);
        rc = s_write(o, "datapackage.json", &b, 0);
    }
    if (rc == 0) {
        buf_reset(&b);
        buf_putc(&b, '{');
        for (int i = 0; i < T__N; i++)
            buf_printf(&b, "%s\n\"%s\": [%.*s%s]", i ? "," : "", t[i].name, (int)t[i].json.len,
                       t[i].json.data ? (const char *)t[i].json.data : "", t[i].rows ? "\n" : "");
        buf_printf(&b, "\n}\n");
        rc = s_write(o, "hsds.json", &b, rows);
    }
    buf_free(&b);
    s_tabs_free(t);
    return rc;
}

/* ---------------------------------------------------------------- command */

static void s_usage(FILE *f)
{
    fputs("usage: buurt export --format hsds|hxl|geojson|csv -o PATH [--area AREA] [--kind KIND]\n\n"
          "Writes the shared directory in a standard format (docs/interop.md):\n"
          "  csv      folder PATH: places.csv, offers.csv, needs.csv, coalitions.csv,\n"
          "           bulletins.csv (UTF-8, one sheet per kind)\n"
          "  hsds     folder PATH: Open Referral HSDS 3.x tables as CSV, datapackage.json\n"
          "           and hsds.json (the tabular JSON form); needs are not exported\n"
          "  hxl      file PATH: a 3W sheet with HXL hashtags; needs counted by area\n"
          "           and category\n"
          "  geojson  file PATH: an RFC 7946 FeatureCollection of places with coordinates\n"
          "PATH - writes hxl and geojson to standard output; a csv or hsds PATH ending\n"
          "in .zip writes the folder's files into one zip archive.\n\n"
          "options:\n"
          "  --format F   hsds, hxl, geojson or csv (required)\n"
          "  -o PATH      where to write (required); a folder is made when missing,\n"
          "               or NAME.zip for csv and hsds\n"
          "  --area AREA  only records of this area\n"
          "  --kind KIND  only places of this kind, and their offers\n"
          "  --json       print what was written as JSON\n"
          "  --help       this help\n",
          f);
}

int cmd_export(cli_t *c, int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"area", required_argument, NULL, 'a'},
                                       {"kind", required_argument, NULL, 'k'},
                                       {"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *format = NULL, *path = NULL, *area = NULL, *kind = NULL;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":ho:", lo, NULL)) != -1) {
        switch (ch) {
        case 'f': format = optarg; break;
        case 'o': path = optarg; break;
        case 'a': area = optarg; break;
        case 'k': kind = optarg; break;
        case 'j': c->json = true; break;
        case 'h': s_usage(c->out); return EXIT_OK;
        case ':': return cli_usage(c, "option %s needs a value", argv[optind - 1]);
        default: return cli_usage(c, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage(c, "unexpected argument '%s'", argv[optind]);
    if (!format)
        return cli_usage(c, "--format is required: hsds, hxl, geojson or csv");
    bool folder = strcmp(format, "csv") == 0 || strcmp(format, "hsds") == 0;
    if (!folder && strcmp(format, "hxl") != 0 && strcmp(format, "geojson") != 0)
        return cli_usage(c, "unknown format '%s' (one of: hsds, hxl, geojson, csv)", format);
    if (!path || !*path)
        return cli_usage(c, "-o PATH is required (a folder for %s)", folder ? format : "csv and hsds");
    if (folder && strcmp(path, "-") == 0)
        return cli_usage(c, "%s writes a folder: give -o FOLDER", format);
    if (kind && !rec_token_ok(REC_PLACE_KINDS, kind))
        return cli_usage(c, "unknown kind '%s' (see buurt place add --help)", kind);
    repo_t *r = cli_repo(c);
    if (!r)
        return EXIT_FAIL;
    size_t pl = strlen(path);
    bool zipped = folder && pl > 4 && strcasecmp(path + pl - 4, ".zip") == 0;
    if (zipped)
        folder = false; /* one file */
    if (folder && mkdir(path, 0755) < 0 && errno != EEXIST)
        return cli_err(c, EXIT_FAIL, "cannot make folder %s: %s", path, strerror(errno));
    if (folder) {
        struct stat sb;
        if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
            return cli_err(c, EXIT_FAIL, "%s is not a folder; %s export writes several files", path, format);
    }

    data_t d = {.now = cli_now(c)};
    d.places = s_collect(r, REC_PLACE, area, kind, d.now);
    if (!kind) { /* --kind selects places and their offers only */
        d.coalitions = s_collect(r, REC_COALITION, area, NULL, d.now);
        d.needs = s_collect(r, REC_NEED, area, NULL, d.now);
        d.bulletins = s_collect(r, REC_BULLETIN, area, NULL, d.now);
    }
    d.offers = s_collect(r, REC_OFFER, area, NULL, d.now);
    if (kind) { /* only offers of the places listed */
        size_t k = 0;
        for (size_t i = 0; i < d.offers.n; i++)
            if (s_find(&d.places, pv_get_str(d.offers.v[i]->fields, "provider")))
                d.offers.v[k++] = d.offers.v[i];
        d.offers.n = k;
    }

    out_t o = {.c = c, .dir = folder ? path : NULL};
    int rc = zipped ? s_zip_open(&o, path) : 0;
    if (rc == 0 && strcmp(format, "csv") == 0)
        rc = s_export_csv(&o, &d);
    else if (rc == 0 && strcmp(format, "hsds") == 0)
        rc = s_export_hsds(&o, &d);
    else if (rc == 0 && strcmp(format, "hxl") == 0)
        rc = s_export_hxl(&o, &d, path);
    else if (rc == 0)
        rc = s_export_geojson(&o, &d, path);
    rc = s_zip_close(&o, rc);
    if (rc == 0 && c->json) {
        buf_t b = {0};
        buf_printf(&b, "{\"format\":\"%s\",\"path\":", format);
        json_str(&b, path, strlen(path));
        buf_printf(&b, ",\"places\":%zu,\"offers\":%zu,\"coalitions\":%zu,\"needs\":%zu,\"bulletins\":%zu,\"files\":[%s]}",
                   d.places.n, d.offers.n, d.coalitions.n, strcmp(format, "hsds") == 0 ? 0 : d.needs.n,
                   d.bulletins.n, o.json.len ? buf_cstr(&o.json) : "");
        cli_print_json(c, &b);
        buf_free(&b);
    } else if (rc == 0 && strcmp(path, "-") != 0) {
        fprintf(c->out, "exported %zu places, %zu offers to %s (%s)\n", d.places.n, d.offers.n, path, format);
    }
    buf_free(&o.json);
    free(d.places.v);
    free(d.offers.v);
    free(d.needs.v);
    free(d.coalitions.v);
    free(d.bulletins.v);
    return rc;
}
