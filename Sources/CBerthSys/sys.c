#define _GNU_SOURCE
#include "CBerthSys.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/openat2.h>
#include "openat2_retrying.h"

int berth_open_beneath(int dirfd, const char *path, int flags, mode_t mode, int no_symlinks) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
    return berth_openat2_retrying(dirfd, path, &how);
}

int berth_openat2_retrying(int dirfd, const char *path, struct open_how *how) {
    // A scoped lookup through ".." fails with EAGAIN when any rename or mount happened on the
    // system meanwhile (containers mount all the time); openat2(2) says to retry.
    for (int attempt = 0;; attempt++) {
        int fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
        if (fd >= 0 || errno != EAGAIN || attempt == 64) return fd;
    }
}

int berth_mknodat(int dirfd, const char *name, mode_t mode, unsigned int maj, unsigned int min) {
    return mknodat(dirfd, name, mode, makedev(maj, min));
}

unsigned int berth_major(dev_t dev) { return major(dev); }
unsigned int berth_minor(dev_t dev) { return minor(dev); }

static int fdpath(char *buf, size_t len, int dirfd, const char *name) {
    int n = snprintf(buf, len, "/proc/self/fd/%d/%s", dirfd, name);
    if (n < 0 || (size_t)n >= len) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

int berth_lsetxattrat(int dirfd, const char *name, const char *key, const void *value, size_t size) {
    char p[4096 + 64];
    if (fdpath(p, sizeof(p), dirfd, name) < 0) return -1;
    return lsetxattr(p, key, value, size, 0);
}

ssize_t berth_lgetxattrat(int dirfd, const char *name, const char *key, void *value, size_t size) {
    char p[4096 + 64];
    if (fdpath(p, sizeof(p), dirfd, name) < 0) return -1;
    return lgetxattr(p, key, value, size);
}

ssize_t berth_llistxattrat(int dirfd, const char *name, char *list, size_t size) {
    char p[4096 + 64];
    if (fdpath(p, sizeof(p), dirfd, name) < 0) return -1;
    return llistxattr(p, list, size);
}

int berth_syncfs(int fd) { return syncfs(fd); }
const int berth_O_PATH = O_PATH;
