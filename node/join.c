/*
 * join.c -- the joining side of an invite (see join.h).
 */
#include "node/join.h"
#include "node/config.h"
#include "node/key.h"
#include "node/members.h"
#include "node/mesh.h"
#include "node/peers.h"
#include "proto/beacon.h"
#include "proto/err.h"
#include "proto/invite.h"
#include "proto/msg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static uint64_t s_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits for the invite beacon of the invite whose key is ikey (only the
 * inviting node can make it); fills the address and node id it gives. */
static int s_find_beacon(const uint8_t ikey[32], int port, uint64_t deadline, char addr[200],
                         uint8_t key[32], char **cause)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return bu_fail(cause, BU_EIO, "beacon socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        int e = errno;
        close(fd);
        return bu_fail(cause, BU_EIO,
                       "cannot listen for beacons on UDP port %d: %s (is buurtd running here? stop it first)",
                       port, strerror(e));
    }
    uint8_t bkey[32];
    beacon_invite_key(ikey, bkey);
    int rc = BU_ENOENT;
    while (rc == BU_ENOENT) {
        uint64_t now = s_mono();
        if (now >= deadline)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        uint8_t d[256];
        ssize_t r = recv(fd, d, sizeof d, 0);
        beacon_t b;
        if (r < 0 || beacon_invite_open(bkey, d, (size_t)r, &b) < 0)
            continue;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, b.addr, ip, sizeof ip);
        snprintf(addr, 200, "tcp://%s:%u", ip, (unsigned)b.port);
        memcpy(key, b.node, 32);
        rc = 0;
    }
    close(fd);
    if (rc < 0)
        return bu_fail(cause, BU_ENOENT,
                       "the inviting node did not announce itself on this network (is its buurtd running?); give its address with --peer");
    return 0;
}

static const char *s_status_text(int st)
{
    switch (st) {
    case JOIN_UNKNOWN: return "that node did not make this invite (mistyped, or made on another node)";
    case JOIN_USED: return "this invite code was already used; ask an admin for a new one (buurt invite)";
    case JOIN_EXPIRED: return "this invite code has expired; ask an admin for a new one (buurt invite)";
    case JOIN_BAD_PROOF: return "the invite code is wrong (check it for typing errors)";
    case JOIN_WRONG_MESH: return "that node belongs to another mesh than this invite code";
    default: return "the inviting node refused";
    }
}

int join_run(repo_t *r, const join_opts_t *o, join_result_t *res, char **cause)
{
    memset(res, 0, sizeof *res);
    invite_code_t code;
    if (invite_code_parse(o->code, &code) < 0)
        return bu_fail(cause, BU_EINVAL,
                       "'%s' is not an invite code (29 letters and digits, e.g. 3FQ7K-...)", o->code);
    uint64_t deadline = s_mono() + (uint64_t)(o->timeout_ms > 0 ? o->timeout_ms : 30000);
    char addr[200];
    uint8_t key[32];
    int rc;
    uint8_t id[16], ikey[32], server[32], cpk[32], csk[32];
    invite_derive(code.secret, id, ikey);
    if (o->peer_addr) {
        snprintf(addr, sizeof addr, "%s", o->peer_addr);
        memcpy(key, o->peer_key, 32);
    } else if ((rc = s_find_beacon(ikey, o->beacon_port ? o->beacon_port : BEACON_DEFAULT_PORT,
                                   deadline, addr, key, cause)) < 0) {
        return rc;
    }
    const nodekey_t *me = repo_key(r);
    key_curve(me, cpk, csk);
    if (key_curve_pk(key, server) < 0)
        return bu_fail(cause, BU_EINVAL, "the inviting node's id is not a valid key");
    join_msg_t j = {0};
    memcpy(j.mesh_prefix, code.mesh_prefix, 8);
    memcpy(j.id, id, 16);
    memcpy(j.node, me->pk, 32);
    snprintf(j.name, sizeof j.name, "%s", repo_name(r)[0] ? repo_name(r) : "member");
    invite_proof(ikey, me->pk, cpk, server, j.proof);
    buf_t b = {0};
    invite_join_encode(&j, &b);

    void *ctx = zmq_ctx_new();
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    int64_t max = MSG_WIRE_MAX_BYTES;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(d, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32);
    zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, cpk, 32);
    zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, csk, 32);
    sodium_memzero(csk, sizeof csk);
    joined_msg_t jd = {0};
    if (zmq_connect(d, addr) != 0) {
        rc = bu_fail(cause, BU_EINVAL, "cannot connect to %s: %s", addr, zmq_strerror(errno));
        goto done;
    }
    zmq_send(d, b.data, b.len, ZMQ_DONTWAIT);
    rc = BU_EIO;
    while (rc == BU_EIO) {
        uint64_t now = s_mono();
        if (now >= deadline)
            break;
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)(deadline - now)) <= 0 || !(it.revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d, 0) >= 0 &&
            invite_joined_decode(zmq_msg_data(&m), zmq_msg_size(&m), &jd) == 0)
            rc = 0;
        zmq_msg_close(&m);
    }
    if (rc < 0) {
        rc = bu_fail(cause, BU_EIO,
                     "no answer from %s within %d s (is its buurtd running, with an open invite?)",
                     addr, (o->timeout_ms > 0 ? o->timeout_ms : 30000) / 1000);
        goto done;
    }
    if (jd.status != JOIN_OK) {
        rc = bu_fail(cause, jd.status == JOIN_UNKNOWN ? BU_ENOENT : BU_EPERM, "%s",
                     s_status_text(jd.status));
        goto done;
    }
    if (memcmp(jd.mesh, code.mesh_prefix, 8) != 0) {
        rc = bu_fail(cause, BU_EPERM, "that node answered for another mesh than this invite code");
        goto done;
    }
    /* store every certificate (each verified), then check the chain */
    for (size_t i = 0; i < jd.ncerts; i++) {
        char *why = NULL;
        if (repo_ingest(r, jd.certs[i].data, jd.certs[i].len, &why) < 0) {
            rc = bu_fail(cause, BU_ESIG, "the inviting node sent an invalid certificate: %s",
                         why ? why : "?");
            free(why);
            goto done;
        }
    }
    members_t mm;
    repo_members_for(r, jd.mesh, &mm);
    const member_t *mine = members_find(&mm, me->pk);
    bool ok = mine && !mine->revoked;
    if (ok)
        snprintf(res->role, sizeof res->role, "%s", members_role_name(mine->role));
    snprintf(res->mesh_name, sizeof res->mesh_name, "%s",
             mm.mesh_name[0] ? mm.mesh_name : jd.mesh_name);
    members_clear(&mm);
    if (!ok) {
        rc = bu_fail(cause, BU_EPERM, "the inviting node did not send a valid certificate for this node");
        goto done;
    }
    if ((rc = mesh_join(r, jd.mesh, res->mesh_name, cause)) < 0)
        goto done;
    /* the inviting node becomes a static peer */
    if ((rc = peers_add(repo_home(r), addr, key, cause)) < 0)
        goto done;
    memcpy(res->mesh, jd.mesh, 32);
    memcpy(res->inviter, key, 32);
    snprintf(res->inviter_addr, sizeof res->inviter_addr, "%s", addr);
    rc = 0;
done:
    invite_joined_free(&jd);
    buf_free(&b);
    zmq_close(d);
    zmq_ctx_term(ctx);
    return rc;
}
