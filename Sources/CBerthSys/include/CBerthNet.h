#ifndef CBERTHNET_H
#define CBERTHNET_H
// berthd's network namespace work. A network namespace is a property of a thread, and berthd
// is multi-threaded: each call does its namespace switch on a short-lived thread of its own, so
// no thread of the caller ever changes namespace.

/// Creates a new network namespace and bind-mounts it on `path` (created, must not exist).
/// Returns a NETLINK_ROUTE socket (CLOEXEC) that lives in the new namespace, or -1 with errno.
int berth_netns_create(const char *path);

/// A NETLINK_ROUTE socket (CLOEXEC) in the network namespace at `path` (a bind-mounted nsfs
/// file or /proc/PID/ns/net), or -1 with errno.
int berth_netns_netlink(const char *path);

/// A socket (CLOEXEC) of the given domain and type in the network namespace at `path`.
int berth_netns_socket(const char *path, int domain, int type, int protocol);

/// Unmounts the namespace bound at `path` (detached) and removes the file.
int berth_netns_remove(const char *path);

#endif
