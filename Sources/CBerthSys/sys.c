#define _GNU_SOURCE
#include "CBerthSys.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <linux/fs.h>
#include <linux/openat2.h>

int berth_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve) {
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    /* RESOLVE_BENEATH/IN_ROOT fail with EAGAIN when any rename or mount races the lookup
       (anywhere on the system); the lookup is then simply retried. */
    for (int attempt = 0; attempt < 64; attempt++) {
        int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN) return fd;
    }
    return -1;
}

int berth_open_beneath(int dirfd, const char *path, int flags, mode_t mode, int no_symlinks) {
    return berth_openat2(dirfd, path, flags, mode, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0));
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

int berth_accept_cloexec(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC); }

int berth_set_topdir(int fd) {
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) return -1;
    if (flags & FS_TOPDIR_FL) return 0;
    flags |= FS_TOPDIR_FL;
    return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

long long berth_fs_type(int fd) {
    struct statfs fs;
    if (fstatfs(fd, &fs) != 0) return -1;
    return (long long)fs.f_type;
}

int berth_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int berth_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }
const int berth_O_PATH = O_PATH;
