#ifndef CBERTHRUNTIME_H
#define CBERTHRUNTIME_H
// Syscalls berth-shim needs that Swift's Glibc module does not export (it is imported
// without _GNU_SOURCE) or that are variadic or macro-based in C.
#include <sys/types.h>
#include <signal.h>
#include <stdint.h>
#include <malloc.h> /* malloc_trim: an idle shim returns its setup garbage */

/// clone(2) without a new stack, so it returns twice like fork(): 0 in the child, the child's
/// pid in the parent. `flags` are CLONE_NEW* bits; SIGCHLD is added.
pid_t berth_clone(unsigned long flags);
int berth_unshare(int flags);
int berth_setns(int fd, int nstype);
int berth_pivot_root(const char *new_root, const char *put_old);

/* User namespaces and idmapped mounts. */
/** Writes /proc/PID/uid_map and gid_map ("inside outside count" lines). */
int berth_write_id_maps(pid_t pid, const char *uid_map, const char *gid_map);
/** An fd of a fresh user namespace with these maps (made by a short-lived child), for idmapped mounts and setns. */
int berth_userns_fd(const char *uid_map, const char *gid_map);
/** A detached copy of the mount tree at PATH (open_tree CLONE), idmapped through USERNS_FD unless it is -1. */
int berth_clone_tree(const char *path, int recursive, int userns_fd);
/** Attaches a detached tree at TARGET (move_mount). */
int berth_attach_tree(int tree_fd, const char *target);

/// openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (| RESOLVE_NO_SYMLINKS when no_symlinks):
/// `path` is resolved as if `rootfd` were `/`, so symlinks and `..` cannot leave it. O_CLOEXEC is added.
int berth_open_in_root(int rootfd, const char *path, int flags, mode_t mode, int no_symlinks);

/// mount_setattr(2) on the mount at `fd` (AT_EMPTY_PATH), recursively when `recursive`.
int berth_mount_setattr(int fd, int recursive, uint64_t attr_set, uint64_t attr_clr, uint64_t propagation);
extern const uint64_t berth_MOUNT_ATTR_RDONLY;
extern const uint64_t berth_MOUNT_ATTR_NOSUID;
extern const uint64_t berth_MOUNT_ATTR_NODEV;
extern const uint64_t berth_MOUNT_ATTR_NOEXEC;

int berth_pipe2(int fds[2], int flags);
int berth_accept4(int fd, int flags);
/// A CLOEXEC | NONBLOCK signalfd for `mask`; reads one signal number (0 when none is pending).
int berth_signalfd(const sigset_t *mask);
int berth_signalfd_read(int fd, uint32_t *signo);

/// Opens a pty master at `ptmx_dirfd`/`ptmx_name` (normally the container's /dev/pts/ptmx),
/// unlocks it and opens its slave through TIOCGPTPEER. Both fds are O_CLOEXEC | O_NOCTTY.
int berth_open_pty(int ptmx_dirfd, const char *ptmx_name, int *master, int *slave);
int berth_set_controlling_tty(int fd);
int berth_set_winsize(int fd, unsigned short rows, unsigned short cols);

/// close_range(2): close fds in [first, last], or only mark them CLOEXEC when `cloexec`.
int berth_close_range(unsigned int first, unsigned int last, int cloexec);
int berth_set_nonblocking(int fd, int on);
int berth_set_cloexec(int fd, int on);
int berth_dupfd(int fd, int minimum);

/// Sends and receives one fd over a unix socket (SCM_RIGHTS). recv returns -1 with errno 0 on EOF.
int berth_send_fd(int sock, int fd);
int berth_recv_fd(int sock);

int berth_set_child_subreaper(void);
int berth_set_dumpable(int on);
int berth_set_keepcaps(int on);
int berth_set_no_new_privs(void);
int berth_capbset_drop(int cap);
int berth_cap_last(void);
/// capset(2), version 3: the three 64-bit sets.
int berth_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
/// capget(2) of this process: returns 0 and fills the sets.
int berth_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);

int berth_setresuid(uid_t r, uid_t e, uid_t s);
int berth_setresgid(gid_t r, gid_t e, gid_t s);
int berth_setrlimit(int resource, uint64_t soft, uint64_t hard);
int berth_setdomainname(const char *name, size_t len);

/// Resets every catchable signal to its default action and unblocks all signals.
void berth_reset_signals(void);

/// memfd_create(2) and a full seal (no write, grow, shrink, further seals).
int berth_memfd_create(const char *name);
int berth_seal_fd(int fd);

/// Brings the loopback interface of the current network namespace up.
int berth_loopback_up(void);

/* cgroup v2 device filtering: bpf(2). */
/// Loads `count` eBPF instructions (struct bpf_insn, 8 bytes each) as a
/// BPF_PROG_TYPE_CGROUP_DEVICE program; returns its fd. `log` (may be NULL) receives the
/// verifier's log.
int berth_bpf_load_device_program(const uint64_t *insns, unsigned int count, char *log, unsigned int log_size);
/// Attaches program `prog_fd` to the cgroup (v2 directory) at `cgroup_fd` as its device filter
/// (BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI: ancestors' filters still apply).
int berth_bpf_attach_device_program(int prog_fd, int cgroup_fd);

#endif
