/*
 * qemu-exec.c -- an LD_PRELOAD library for arm64 programs that run under
 * qemu-user on an x86-64 host without binfmt_misc (a container, where it
 * cannot be registered): it makes execve of an arm64 program work the way
 * binfmt_misc would.
 *
 * Criterion starts each test in a fresh worker by fork and execve of its
 * own program (BoxFort). Under qemu-user the execve goes to the host
 * kernel, which cannot run an arm64 program and says ENOEXEC. This execve
 * tries the program first; on ENOEXEC it runs QEMU (env BUURT_QEMU, default
 * /usr/bin/qemu-aarch64-static) with `-0 ARGV0 PATH ARGS...`, so the new
 * program sees the same argv and environment (LD_PRELOAD included) and
 * keeps the process id and open descriptors, as after any execve.
 * Any other failure is returned unchanged.
 *
 * Built for arm64 by tests/cross/arm64.sh; not part of buurt.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

typedef int execve_fn(const char *, char *const[], char *const[]);

int execve(const char *path, char *const argv[], char *const envp[])
{
    execve_fn *real = (execve_fn *)dlsym(RTLD_NEXT, "execve");
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    real(path, argv, envp);
    if (errno != ENOEXEC)
        return -1;
    const char *qemu = getenv("BUURT_QEMU");
    if (!qemu || !*qemu)
        qemu = "/usr/bin/qemu-aarch64-static";
    size_t n = 0;
    while (argv[n])
        n++;
    char **a = calloc(n + 5, sizeof *a);
    if (!a) {
        errno = ENOMEM;
        return -1;
    }
    size_t k = 0;
    a[k++] = (char *)qemu;
    a[k++] = "-0";
    a[k++] = (char *)(n ? argv[0] : path);
    a[k++] = (char *)path;
    for (size_t i = 1; i < n; i++)
        a[k++] = argv[i];
    a[k] = NULL;
    real(qemu, a, envp);
    int e = errno;
    free(a);
    errno = e;
    return -1;
}
