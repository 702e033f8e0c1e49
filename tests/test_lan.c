/*
 * test_lan.c -- behaviour tests for node/lan.c (the beacon socket) and
 * proto/beacon.c (the beacon codec).
 *
 * The interface list and sendto are replaced by fakes (lan_set_hooks), so
 * these tests say where beacons go and how failures are reported without
 * a network; tests/netns.sh sends real ones between network namespaces.
 * The socket itself is opened on a free UDP port of this machine.
 */
#include "node/lan.h"
#include "proto/beacon.h"
#include "proto/err.h"
#include "proto/msg.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fakes ------------------------------------------------------------ */

static lan_if_t s_ifs[4];
static size_t s_nifs;
static struct in_addr s_sent_to[64];
static size_t s_nsent;
static struct in_addr s_failing; /* sends to this address fail */
static int s_fail_errno;
static char s_log[16][200];
static size_t s_nlog;

static size_t s_fake_ifs(const char *only, lan_if_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < s_nifs && k < max; i++)
        if (!only || strcmp(only, s_ifs[i].name) == 0)
            out[k++] = s_ifs[i];
    return k;
}

static ssize_t s_fake_sendto(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
    (void)fd;
    (void)buf;
    if (to->sin_addr.s_addr == htonl(INADDR_BROADCAST)) { /* no default route */
        errno = ENETUNREACH;
        return -1;
    }
    if (s_nsent < 64)
        s_sent_to[s_nsent++] = to->sin_addr;
    if (to->sin_addr.s_addr == s_failing.s_addr) {
        errno = s_fail_errno;
        return -1;
    }
    return (ssize_t)len;
}

static void s_fake_log(void *ctx, const char *line)
{
    (void)ctx;
    if (s_nlog < 16)
        snprintf(s_log[s_nlog++], sizeof s_log[0], "%s", line);
}

static void s_add_if(const char *name, const char *bcast)
{
    snprintf(s_ifs[s_nifs].name, sizeof s_ifs[0].name, "%s", name);
    inet_pton(AF_INET, bcast, &s_ifs[s_nifs].bcast);
    s_nifs++;
}

static lan_t *s_lan;

/* One 4-byte datagram per interface. */
static size_t s_build1(void *ctx, const lan_if_t *i, size_t k, uint8_t *out, size_t cap)
{
    (void)ctx;
    (void)i;
    (void)cap;
    if (k > 0)
        return 0;
    memcpy(out, "\x01\x02\x03\x04", 4);
    return 4;
}

static void s_setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    s_nifs = s_nsent = s_nlog = 0;
    s_failing.s_addr = 0;
    char *cause = NULL;
    /* port 0: any free port; the socket is only needed for its fd */
    int rc = lan_open(0, NULL, &s_lan, &cause);
    cr_assert_eq(rc, 0, "lan_open: %s", cause ? cause : "");
    lan_set_hooks(s_lan, s_fake_sendto, s_fake_ifs);
}

static void s_teardown(void)
{
    lan_close(&s_lan);
}

TestSuite(lan, .init = s_setup, .fini = s_teardown);

static bool s_went_to(const char *addr)
{
    struct in_addr a;
    inet_pton(AF_INET, addr, &a);
    for (size_t i = 0; i < s_nsent; i++)
        if (s_sent_to[i].s_addr == a.s_addr)
            return true;
    return false;
}

static size_t s_notes(pv_t **out)
{
    *out = pv_arr();
    return lan_notes(s_lan, *out);
}

/* ---- tests ------------------------------------------------------------ */

/* With no gateway, the limited broadcast is unreachable; beacons still go
 * out on every interface, to its own broadcast address. */
Test(lan, beacons_go_to_every_interface_broadcast_address_without_a_gateway)
{
    s_add_if("wlan0", "192.168.1.255");
    s_add_if("eth0", "10.0.0.255");
    cr_assert_eq(lan_send(s_lan, s_build1, NULL, s_fake_log, NULL), 2);
    cr_assert(s_went_to("192.168.1.255"));
    cr_assert(s_went_to("10.0.0.255"));
    cr_assert_eq(s_nlog, 0, "nothing to log: %s", s_log[0]);
    cr_assert_not(s_went_to("255.255.255.255"), "the limited broadcast needs a route: not used");
    pv_t *n;
    cr_assert_eq(s_notes(&n), 0, "no notes when every interface works");
    pv_free(&n);
    pv_t *st = lan_status(s_lan);
    cr_assert_eq(st->u.a.n, 2);
    cr_assert_eq(pv_get_int(st->u.a.items[0], "sent", 0), 1);
    pv_free(&st);
}

/* Interfaces are read again at every send: one that comes later is used,
 * one that goes away is no longer reported. */
Test(lan, interfaces_that_come_and_go_are_followed)
{
    s_add_if("wlan0", "192.168.1.255");
    lan_send(s_lan, s_build1, NULL, s_fake_log, NULL);
    s_add_if("eth0", "10.0.0.255"); /* a cable is plugged in */
    s_nsent = 0;
    cr_assert_eq(lan_send(s_lan, s_build1, NULL, s_fake_log, NULL), 2);
    cr_assert(s_went_to("10.0.0.255"));
    s_ifs[0] = s_ifs[1]; /* Wi-Fi goes */
    s_nifs = 1;
    s_nsent = 0;
    cr_assert_eq(lan_send(s_lan, s_build1, NULL, s_fake_log, NULL), 1);
    cr_assert_not(s_went_to("192.168.1.255"));
    pv_t *st = lan_status(s_lan);
    cr_assert_eq(st->u.a.n, 1, "only present interfaces are reported");
    cr_assert_str_eq(pv_get_str(st->u.a.items[0], "interface"), "eth0");
    pv_free(&st);
}

/* A failing interface is logged once (not per beacon), shown as a note
 * and counted for as long as it fails; when it works again that is
 * logged once and the note goes. */
Test(lan, a_failing_interface_is_logged_once_counted_and_noted)
{
    s_add_if("wlan0", "192.168.1.255");
    s_add_if("eth0", "10.0.0.255");
    inet_pton(AF_INET, "192.168.1.255", &s_failing);
    s_fail_errno = ENETUNREACH;
    for (int i = 0; i < 5; i++)
        cr_assert_eq(lan_send(s_lan, s_build1, NULL, s_fake_log, NULL), 1);
    cr_assert_eq(s_nlog, 1, "logged %zu times, want once", s_nlog);
    cr_assert(strstr(s_log[0], "not sent on wlan0") && strstr(s_log[0], "unreachable"), "%s", s_log[0]);
    pv_t *n;
    cr_assert_eq(s_notes(&n), 1);
    cr_assert_str_eq(n->u.a.items[0]->u.s.p, "beacons: not sent on wlan0: Network is unreachable");
    pv_free(&n);
    pv_t *st = lan_status(s_lan);
    for (size_t i = 0; i < st->u.a.n; i++)
        if (strcmp(pv_get_str(st->u.a.items[i], "interface"), "wlan0") == 0) {
            cr_assert_eq(pv_get_int(st->u.a.items[i], "failed", 0), 5);
            cr_assert_eq(pv_get_int(st->u.a.items[i], "sent", 0), 0);
        }
    pv_free(&st);

    s_failing.s_addr = 0; /* it works again */
    lan_send(s_lan, s_build1, NULL, s_fake_log, NULL);
    lan_send(s_lan, s_build1, NULL, s_fake_log, NULL);
    cr_assert_eq(s_nlog, 2);
    cr_assert(strstr(s_log[1], "sent on wlan0") && strstr(s_log[1], "again"), "%s", s_log[1]);
    cr_assert_eq(s_notes(&n), 0);
    pv_free(&n);
}

/* No interface that can broadcast (only loopback, or everything down):
 * say that nobody on the LAN can find this node. */
Test(lan, no_interface_is_a_note)
{
    pv_t *n;
    cr_assert_eq(s_notes(&n), 0, "nothing to say before the first beacon");
    pv_free(&n);
    cr_assert_eq(lan_send(s_lan, s_build1, NULL, s_fake_log, NULL), 0);
    cr_assert_eq(s_notes(&n), 1);
    cr_assert(strstr(n->u.a.items[0]->u.s.p, "no network interface is up"));
    pv_free(&n);
}

/* --beacon-interface with a name that is not an interface (a typo). */
Test(lan, an_unknown_beacon_interface_is_refused)
{
    lan_close(&s_lan);
    char *cause = NULL;
    cr_assert_lt(lan_open(0, "no-such-if0", &s_lan, &cause), 0, "an unknown interface is refused");
    cr_assert(strstr(cause, "no-such-if0"), "%s", cause);
    free(cause);
}

/* ---- the codec -------------------------------------------------------- */

static void s_keys(uint8_t pk[32], uint8_t sk[64], uint8_t tag)
{
    uint8_t seed[32];
    memset(seed, tag, 32);
    crypto_sign_seed_keypair(pk, sk, seed);
}

Test(lan, a_beacon_opens_only_with_its_mesh_key_and_names_its_signed_address)
{
    uint8_t mesh[32], other[32], key[32], okey[32], pk[32], sk[64], w[BEACON_LEN], w2[BEACON_LEN];
    memset(mesh, 0x03, 32);
    memset(other, 0x04, 32);
    beacon_key(mesh, key);
    beacon_key(other, okey);
    s_keys(pk, sk, 0x29);
    beacon_t b = {.port = 4836, .addr = {192, 168, 1, 20}}, d;
    memcpy(b.node, pk, 32);
    beacon_seal(mesh, key, sk, &b, w);
    cr_assert_eq(memcmp(w, "BUURT2", 6), 0);
    cr_assert_eq(beacon_open(mesh, key, w, sizeof w, &d), 0);
    cr_assert_eq(memcmp(&b, &d, sizeof b), 0);
    cr_assert_null(memmem(w, sizeof w, pk, 32), "the node id is not in clear");
    cr_assert_null(memmem(w, sizeof w, mesh, 32), "nor the mesh id");
    beacon_seal(mesh, key, sk, &b, w2);
    cr_assert_neq(memcmp(w, w2, sizeof w), 0, "two beacons of a node differ (a fresh nonce)");
    cr_assert_eq(beacon_open(other, okey, w, sizeof w, &d), BU_EINVAL, "another mesh cannot read it");
    cr_assert_eq(beacon_open(mesh, key, w, sizeof w - 1, &d), BU_EINVAL, "short");
    w[100] ^= 1;
    cr_assert_eq(beacon_open(mesh, key, w, sizeof w, &d), BU_EINVAL, "changed on the way");
}

/* Issue 9.10: one who knows the mesh key (a member) but not a node's
 * secret key cannot make others dial an address in that node's name. */
Test(lan, a_beacon_naming_another_node_does_not_open)
{
    uint8_t mesh[32], key[32], pk[32], sk[64], vpk[32], vsk[64], w[BEACON_LEN];
    memset(mesh, 0x03, 32);
    beacon_key(mesh, key);
    s_keys(pk, sk, 0x66);  /* the forger */
    s_keys(vpk, vsk, 0x29); /* the member it names */
    beacon_t b = {.port = 4836, .addr = {10, 6, 6, 6}}, d;
    memcpy(b.node, vpk, 32); /* signed with the forger's key */
    beacon_seal(mesh, key, sk, &b, w);
    cr_assert_eq(beacon_open(mesh, key, w, sizeof w, &d), BU_EINVAL);
}

Test(lan, an_invite_beacon_opens_with_the_invite_key_only)
{
    uint8_t ikey[32] = {7}, other[32] = {8}, k[32], ok[32], w[BEACON_INVITE_LEN];
    beacon_invite_key(ikey, k);
    beacon_invite_key(other, ok);
    beacon_t b = {.port = 4836, .addr = {192, 168, 1, 20}}, d;
    memset(b.node, 0x29, 32);
    beacon_invite_seal(k, &b, w);
    cr_assert_eq(memcmp(w, "BUURTI", 6), 0);
    cr_assert_eq(beacon_invite_open(k, w, sizeof w, &d), 0);
    cr_assert_eq(memcmp(&b, &d, sizeof b), 0);
    cr_assert_eq(beacon_invite_open(ok, w, sizeof w, &d), BU_EINVAL, "another invite's key");
    uint8_t mesh[32] = {0}, mk[32];
    beacon_key(mesh, mk);
    cr_assert_eq(beacon_open(mesh, mk, w, sizeof w, &d), BU_EINVAL, "not a mesh beacon");
}

/* Every interface gets datagrams that name its own address. */
static size_t s_build_addr(void *ctx, const lan_if_t *i, size_t k, uint8_t *out, size_t cap)
{
    (void)ctx;
    (void)cap;
    if (k > 1)
        return 0;
    memcpy(out, &i->addr, 4);
    out[4] = (uint8_t)k;
    return 5;
}

static uint8_t s_payloads[64][8];

static ssize_t s_record_sendto(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
    if (s_nsent < 64)
        memcpy(s_payloads[s_nsent], buf, len < 8 ? len : 8);
    return s_fake_sendto(fd, buf, len, to);
}

Test(lan, each_interface_gets_datagrams_built_for_its_address)
{
    lan_set_hooks(s_lan, s_record_sendto, s_fake_ifs);
    s_add_if("wlan0", "192.168.1.255");
    inet_pton(AF_INET, "192.168.1.20", &s_ifs[0].addr);
    s_add_if("eth0", "10.0.0.255");
    inet_pton(AF_INET, "10.0.0.7", &s_ifs[1].addr);
    cr_assert_eq(lan_send(s_lan, s_build_addr, NULL, s_fake_log, NULL), 2);
    cr_assert_eq(s_nsent, 4, "two datagrams on each interface");
    cr_assert(memcmp(s_payloads[0], "\xc0\xa8\x01\x14\x00", 5) == 0, "wlan0's first names 192.168.1.20");
    cr_assert(memcmp(s_payloads[1], "\xc0\xa8\x01\x14\x01", 5) == 0);
    cr_assert(memcmp(s_payloads[2], "\x0a\x00\x00\x07\x00", 5) == 0, "eth0's names 10.0.0.7");
}
