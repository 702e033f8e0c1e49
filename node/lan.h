/*
 * lan.h -- the beacon socket of buurtd: LAN discovery that works without
 * an internet gateway.
 *
 * One UDP socket, bound to the beacon port on every address, hears beacons
 * from every interface. lan_send re-reads the interfaces each time (so a
 * laptop that moves from Wi-Fi to a cable is followed) and sends the
 * beacons to the broadcast address of every interface that is up and can
 * broadcast. Each beacon names the address it is sent from, so the caller
 * builds the datagrams per interface. The limited broadcast
 * 255.255.255.255 is not used: it needs a route (a default gateway), which
 * an outage usually takes away, and it has no one source address. A
 * failure on an interface is reported once per interface and error in the
 * log and as a note in `buurt peers` for as long as it lasts.
 *
 * With only_iface set (buurtd --beacon-interface) the socket is bound to
 * that interface and beacons go only to its broadcast address.
 *
 * Workload: one send every beacon interval (2 s), a few interfaces. The
 * interface table keeps at most LAN_MAX_IFS entries.
 */
#ifndef BUURT_LAN_H
#define BUURT_LAN_H

#include "proto/value.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LAN_MAX_IFS 32

typedef struct lan lan_t;

/* One interface a beacon can go out on. */
typedef struct {
    char name[32];
    struct in_addr addr;    /* its own address */
    struct in_addr bcast;   /* its broadcast address */
} lan_if_t;

/* Opens the socket on UDP port (every address); only_iface may be NULL.
 * BU_EIO (port taken) or BU_EINVAL (no such interface) with *cause. */
int lan_open(int port, const char *only_iface, lan_t **out, char **cause);
void lan_close(lan_t **self_p);
int lan_fd(const lan_t *self);

/* Called with a line for the log when an interface starts failing, fails
 * with another error, or works again. */
typedef void lan_log_fn(void *ctx, const char *line);

/* Writes datagram number k (0, 1, ...) to go out on interface i into out
 * (cap bytes): its length, or 0 when there are no more. */
typedef size_t lan_build_fn(void *ctx, const lan_if_t *i, size_t k, uint8_t *out, size_t cap);

/* Sends, on every interface as described above, the datagrams build makes
 * for it (at most LAN_MAX_DATAGRAMS). Returns the number of interfaces the
 * first went out on. */
#define LAN_MAX_DATAGRAMS 16
size_t lan_send(lan_t *self, lan_build_fn *build, void *bctx, lan_log_fn *log, void *ctx);

/* Reads one waiting datagram into buf: its length (>= 0) and sender, or
 * -1 when none is waiting. */
ssize_t lan_recv(lan_t *self, uint8_t *buf, size_t cap, struct sockaddr_in *from);

/* Appends to notes (a PV_ARR) one line per interface whose last send
 * failed ("beacons: not sent on wlan0: Network is unreachable"), or one
 * saying that no interface can carry beacons. Returns the number added. */
size_t lan_notes(const lan_t *self, pv_t *notes);

/* The interfaces of the last send: [{interface, address, sent, failed,
 * error}] (error "" when the last send worked). */
pv_t *lan_status(const lan_t *self);

/* For tests: replace sendto and the interface enumeration. */
typedef ssize_t lan_sendto_fn(int fd, const void *buf, size_t len, const struct sockaddr_in *to);
typedef size_t lan_ifs_fn(const char *only, lan_if_t *out, size_t max);
void lan_set_hooks(lan_t *self, lan_sendto_fn *send, lan_ifs_fn *ifs);

/* The default interface enumeration: IPv4 interfaces that are up, not
 * loopback and can broadcast (only the one named only, when set), with
 * their broadcast address (derived from the netmask when the system
 * reports none). */
size_t lan_interfaces(const char *only, lan_if_t *out, size_t max);

#endif
