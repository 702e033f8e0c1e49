/*
 * lan.c -- the beacon socket (see lan.h).
 *
 * The interface table `ifs` remembers, per interface name, where the last
 * beacon went, how many went out or failed, and the last error; `present`
 * marks the interfaces of the latest send, the only ones reported.
 */
#include "node/lan.h"
#include "proto/err.h"
#include "proto/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    lan_if_t i;
    uint64_t sent, failed;
    int err;               /* errno of the last send, 0 when it worked */
    bool present;          /* seen in the latest enumeration */
} lan_ifstate_t;

struct lan {
    int fd;
    int port;
    char *only;            /* --beacon-interface, or NULL */
    lan_ifstate_t ifs[LAN_MAX_IFS];
    size_t nifs;
    size_t npresent;       /* interfaces of the latest send */
    uint64_t sends;        /* lan_send calls */
    lan_sendto_fn *sendto_fn;
    lan_ifs_fn *ifs_fn;
};

static ssize_t s_sendto(int fd, const void *buf, size_t len, const struct sockaddr_in *to)
{
    return sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to);
}

size_t lan_interfaces(const char *only, lan_if_t *out, size_t max)
{
    struct ifaddrs *all = NULL;
    size_t n = 0;
    if (getifaddrs(&all) != 0)
        return 0;
    for (struct ifaddrs *i = all; i && n < max; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
            (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_BROADCAST) ||
            (only && strcmp(i->ifa_name, only) != 0))
            continue;
        /* Without a configured broadcast address glibc reports the
         * interface's own address: derive it from the netmask. */
        struct in_addr own = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        struct in_addr bc = {0};
        if (i->ifa_broadaddr)
            bc = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr;
        if (bc.s_addr == 0 || bc.s_addr == own.s_addr) {
            uint32_t mask = i->ifa_netmask ? ((struct sockaddr_in *)i->ifa_netmask)->sin_addr.s_addr : 0;
            if (mask == 0xffffffffu)
                continue; /* a /32: no one else on this link */
            bc.s_addr = own.s_addr | ~mask;
        }
        bool dup = false; /* two addresses in one subnet: one broadcast */
        for (size_t k = 0; k < n && !dup; k++)
            dup = out[k].bcast.s_addr == bc.s_addr && strcmp(out[k].name, i->ifa_name) == 0;
        if (dup)
            continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", i->ifa_name);
        out[n].addr = own;
        out[n].bcast = bc;
        n++;
    }
    freeifaddrs(all);
    return n;
}

int lan_open(int port, const char *only_iface, lan_t **out, char **cause)
{
    *out = NULL;
    if (only_iface) {
        lan_if_t one;
        if (lan_interfaces(only_iface, &one, 1) == 0)
            return bu_fail(cause, BU_EINVAL,
                           "no IPv4 interface named %s that is up and can broadcast (see: ip addr)",
                           only_iface);
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return bu_fail(cause, BU_EIO, "beacon socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    if (only_iface)
        setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, only_iface, (socklen_t)strlen(only_iface));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        return bu_fail(cause, BU_EIO, "cannot listen for beacons on UDP port %d: %s", port,
                       strerror(e));
    }
    lan_t *l = xcalloc(1, sizeof *l);
    l->fd = fd;
    l->port = port;
    l->only = only_iface ? xstrdup(only_iface) : NULL;
    l->sendto_fn = s_sendto;
    l->ifs_fn = lan_interfaces;
    *out = l;
    return 0;
}

void lan_close(lan_t **self_p)
{
    if (self_p == NULL || *self_p == NULL)
        return;
    lan_t *l = *self_p;
    if (l->fd >= 0)
        close(l->fd);
    free(l->only);
    free(l);
    *self_p = NULL;
}

int lan_fd(const lan_t *self)
{
    return self->fd;
}

void lan_set_hooks(lan_t *self, lan_sendto_fn *send, lan_ifs_fn *ifs)
{
    self->sendto_fn = send ? send : s_sendto;
    self->ifs_fn = ifs ? ifs : lan_interfaces;
}

static lan_ifstate_t *s_state(lan_t *l, const lan_if_t *i)
{
    for (size_t k = 0; k < l->nifs; k++)
        if (strcmp(l->ifs[k].i.name, i->name) == 0) {
            l->ifs[k].i = *i; /* its address may have changed */
            return &l->ifs[k];
        }
    if (l->nifs == LAN_MAX_IFS) { /* forget one that is gone */
        for (size_t k = 0; k < l->nifs; k++)
            if (!l->ifs[k].present) {
                l->ifs[k] = l->ifs[--l->nifs];
                break;
            }
        if (l->nifs == LAN_MAX_IFS)
            return NULL;
    }
    lan_ifstate_t *s = &l->ifs[l->nifs++];
    memset(s, 0, sizeof *s);
    s->i = *i;
    return s;
}

size_t lan_send(lan_t *self, lan_build_fn *build, void *bctx, lan_log_fn *log, void *ctx)
{
    uint8_t msg[512];
    lan_if_t now[LAN_MAX_IFS];
    size_t n = self->ifs_fn(self->only, now, LAN_MAX_IFS), ok = 0;
    for (size_t k = 0; k < self->nifs; k++)
        self->ifs[k].present = false;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)self->port)};
    char line[200], ip[INET_ADDRSTRLEN];
    for (size_t k = 0; k < n; k++) {
        lan_ifstate_t *s = s_state(self, &now[k]);
        if (!s)
            continue;
        s->present = true;
        to.sin_addr = now[k].bcast;
        size_t len = build(bctx, &now[k], 0, msg, sizeof msg);
        if (len == 0)
            continue;
        int err = self->sendto_fn(self->fd, msg, len, &to) < 0 ? errno : 0;
        /* the others (invite beacons) share the first one's fate */
        for (size_t d = 1; d < LAN_MAX_DATAGRAMS && !err; d++) {
            size_t l2 = build(bctx, &now[k], d, msg, sizeof msg);
            if (l2 == 0)
                break;
            self->sendto_fn(self->fd, msg, l2, &to);
        }
        if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
            err = 0; /* a full queue: the next beacon goes */
        if (err) {
            s->failed++;
        } else {
            s->sent++;
            ok++;
        }
        if (err != s->err && log) {
            inet_ntop(AF_INET, &now[k].bcast, ip, sizeof ip);
            if (err)
                snprintf(line, sizeof line, "beacons: not sent on %.31s (to %.15s): %.100s", now[k].name, ip,
                         strerror(err));
            else
                snprintf(line, sizeof line, "beacons: sent on %.31s (to %.15s) again", now[k].name, ip);
            log(ctx, line);
        }
        s->err = err;
    }
    self->npresent = n;
    self->sends++;
    return ok;
}

ssize_t lan_recv(lan_t *self, uint8_t *buf, size_t cap, struct sockaddr_in *from)
{
    socklen_t fl = sizeof *from;
    return recvfrom(self->fd, buf, cap, 0, (struct sockaddr *)from, &fl);
}

size_t lan_notes(const lan_t *self, pv_t *notes)
{
    char line[200];
    size_t added = 0;
    if (self->sends > 0 && self->npresent == 0) {
        if (self->only)
            snprintf(line, sizeof line, "beacons: interface %.31s is not up; no LAN peer can find this node",
                     self->only);
        else
            snprintf(line, sizeof line, "beacons: no network interface is up; no LAN peer can find this node");
        pv_arr_push(notes, pv_str(line));
        return 1;
    }
    for (size_t k = 0; k < self->nifs; k++) {
        const lan_ifstate_t *s = &self->ifs[k];
        if (!s->present || !s->err)
            continue;
        snprintf(line, sizeof line, "beacons: not sent on %.31s: %.100s", s->i.name, strerror(s->err));
        pv_arr_push(notes, pv_str(line));
        added++;
    }
    return added;
}

pv_t *lan_status(const lan_t *self)
{
    pv_t *l = pv_arr();
    char ip[INET_ADDRSTRLEN];
    for (size_t k = 0; k < self->nifs; k++) {
        const lan_ifstate_t *s = &self->ifs[k];
        if (!s->present)
            continue;
        pv_t *m = pv_map();
        inet_ntop(AF_INET, &s->i.bcast, ip, sizeof ip);
        pv_map_set(m, "interface", pv_str(s->i.name));
        pv_map_set(m, "address", pv_str(ip));
        pv_map_set(m, "sent", pv_int((int64_t)s->sent));
        pv_map_set(m, "failed", pv_int((int64_t)s->failed));
        pv_map_set(m, "error", pv_str(s->err ? strerror(s->err) : ""));
        pv_arr_push(l, m);
    }
    return l;
}
