#ifndef CBERTHSYS_H
#define CBERTHSYS_H
#include <sys/types.h>
#include <stdint.h>

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (| RESOLVE_NO_SYMLINKS when no_symlinks):
/// opens `path` under `dirfd` and fails with EXDEV/ELOOP instead of leaving it.
int berth_open_beneath(int dirfd, const char *path, int flags, mode_t mode, int no_symlinks);

/// openat2(2) with the given RESOLVE_* flags, O_CLOEXEC added, retried while the kernel
/// reports a racing rename (EAGAIN).
int berth_openat2(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);

/// mknodat(2) for a character/block device from major/minor.
int berth_mknodat(int dirfd, const char *name, mode_t mode, unsigned int major, unsigned int minor);

/// Major and minor numbers of a dev_t.
unsigned int berth_major(dev_t dev);
unsigned int berth_minor(dev_t dev);

/// lsetxattr/lgetxattr/llistxattr on a path relative to a directory fd (via /proc/self/fd),
/// without following a symlink in the last component.
int berth_lsetxattrat(int dirfd, const char *name, const char *key, const void *value, size_t size);
ssize_t berth_lgetxattrat(int dirfd, const char *name, const char *key, void *value, size_t size);
ssize_t berth_llistxattrat(int dirfd, const char *name, char *list, size_t size);

/// pidfd_open(2) (CLOEXEC) and pidfd_send_signal(2): a handle on a process that cannot come to
/// mean another process when the pid is reused.
int berth_pidfd_open(pid_t pid);
int berth_pidfd_send_signal(int pidfd, int sig);

/// fstatfs(2)'s f_type (the filesystem's magic number) of fd, or -1.
long long berth_fs_type(int fd);

/// accept4(2) with SOCK_CLOEXEC: no window in which a spawned child inherits the connection.
int berth_accept_cloexec(int fd);

/// syncfs(2): flush the filesystem holding fd.
int berth_syncfs(int fd);

/// Sets FS_TOPDIR_FL (chattr +T) on the directory fd: ext4's Orlov allocator then spreads the
/// directories made inside it over block groups. 0, or -1 with errno (ENOTTY: not supported).
int berth_set_topdir(int fd);

/// O_PATH, which Swift's Glibc module does not export.
extern const int berth_O_PATH;

/// berth-shim's syscalls (namespaces, mounts, pty, capabilities).
#include "CBerthRuntime.h"

/// berthd's network namespaces.
#include "CBerthNet.h"

#endif
