/*
 * bench/verify.c -- the verify ceiling: single-core Ed25519
 * crypto_sign_verify_detached calls per second on ~300-byte messages.
 * Usage: verify [SECONDS]   (default 1.5). Prints one JSON object.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.5;
    if (sodium_init() < 0)
        return 1;
    enum { NMSG = 64, LEN = 300 };
    unsigned char pk[32], sk[64], msg[NMSG][LEN], sig[NMSG][64];
    crypto_sign_keypair(pk, sk);
    for (int i = 0; i < NMSG; i++) {
        randombytes_buf(msg[i], LEN);
        crypto_sign_detached(sig[i], NULL, msg[i], LEN, sk);
    }
    long n = 0, bad = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 256; i++, n++)
            bad += crypto_sign_verify_detached(sig[n % NMSG], msg[n % NMSG], LEN, pk) != 0;
        t = now_s();
    } while (t - t0 < secs);
    printf("{\"verifies\":%ld,\"seconds\":%.3f,\"per_s\":%.0f,\"msg_bytes\":%d,\"bad\":%ld}\n", n,
           t - t0, n / (t - t0), LEN, bad);
    return bad ? 1 : 0;
}
