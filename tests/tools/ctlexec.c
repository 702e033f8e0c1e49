/*
 * ctlexec.c -- test helper for tests/reads.sh: sends one EXEC request to a
 * buurtd's control socket exactly as given, whatever the command (the
 * buurt CLI never forwards some, a hostile or buggy client might), prints
 * what comes back and exits with the command's exit code.
 *
 * usage: ctlexec HOME COMMAND [ARG...]
 *
 * Exit: the RESULT code; 3 when buurtd does not answer within 30 s; 4 on
 * a usage or connection error.
 */
#include "proto/control.h"
#include "proto/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: ctlexec HOME COMMAND [ARG...]\n");
        return 4;
    }
    char *ep = xasprintf("ipc://%s/control.sock", argv[1]);
    void *ctx = zmq_ctx_new(), *d = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, code = 3;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(d, ep) != 0) {
        fprintf(stderr, "ctlexec: cannot connect to %s\n", ep);
        return 4;
    }
    buf_t req = {0};
    ctl_exec(&req, argc - 2, argv + 2, false, -1, 0);
    zmq_send(d, req.data, req.len, 0);
    buf_free(&req);
    for (;;) {
        zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 30000) != 1)
            break;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d, 0) < 0)
            break;
        ctl_msg_t c;
        int rc = ctl_decode(zmq_msg_data(&m), zmq_msg_size(&m), &c);
        zmq_msg_close(&m);
        if (rc < 0)
            break;
        if (c.type == CTL_OUT)
            fwrite(c.data, 1, c.len, c.stream == 2 ? stderr : stdout);
        bool done = c.type == CTL_RESULT;
        if (done)
            code = c.code;
        ctl_clear(&c);
        if (done)
            break;
    }
    zmq_close(d);
    zmq_ctx_term(ctx);
    free(ep);
    return code;
}
