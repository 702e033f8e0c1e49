/*
 * fuzz.h -- what every libFuzzer harness in tests/fuzz/ shares.
 *
 * A harness feeds its input to one decoder and then checks properties that
 * must hold for whatever the decoder accepted (it re-encodes to the same
 * bytes, the lenient and strict paths agree, ...). A broken property is
 * reported like a crash: FUZZ_CHECK prints the condition and aborts, so
 * libFuzzer saves the input. Sanitizers catch the rest.
 */
#ifndef BUURT_FUZZ_H
#define BUURT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, \
                    #cond);                                                           \
            abort();                                                                  \
        }                                                                             \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
