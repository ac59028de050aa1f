#define _GNU_SOURCE
#include "CBerthNet.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <linux/netlink.h>

struct netns_job {
    const char *path;
    int create;
    int domain, type, protocol;
    int fd;
    int err;
};

/* Runs on its own thread, which ends in the other namespace: nothing else runs there. */
static void *netns_job_run(void *p) {
    struct netns_job *job = p;
    job->fd = -1;
    if (job->create) {
        if (unshare(CLONE_NEWNET) != 0) { job->err = errno; return NULL; }
        int f = open(job->path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
        if (f < 0) { job->err = errno; return NULL; }
        close(f);
        if (mount("/proc/thread-self/ns/net", job->path, NULL, MS_BIND, NULL) != 0) {
            job->err = errno;
            unlink(job->path);
            return NULL;
        }
    } else {
        int ns = open(job->path, O_RDONLY | O_CLOEXEC);
        if (ns < 0) { job->err = errno; return NULL; }
        int rc = setns(ns, CLONE_NEWNET);
        job->err = errno;
        close(ns);
        if (rc != 0) return NULL;
    }
    job->fd = socket(job->domain, job->type | SOCK_CLOEXEC, job->protocol);
    if (job->fd < 0) {
        job->err = errno;
        if (job->create) { umount2(job->path, MNT_DETACH); unlink(job->path); }
    }
    return NULL;
}

static int netns_job(const char *path, int create, int domain, int type, int protocol) {
    struct netns_job job = { path, create, domain, type, protocol, -1, 0 };
    pthread_t t;
    int rc = pthread_create(&t, NULL, netns_job_run, &job);
    if (rc != 0) { errno = rc; return -1; }
    pthread_join(t, NULL);
    if (job.fd < 0) errno = job.err;
    return job.fd;
}

int berth_netns_create(const char *path) { return netns_job(path, 1, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE); }

int berth_netns_netlink(const char *path) { return netns_job(path, 0, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE); }

int berth_netns_socket(const char *path, int domain, int type, int protocol) {
    return netns_job(path, 0, domain, type, protocol);
}

int berth_netns_remove(const char *path) {
    if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) return -1;
    if (unlink(path) != 0 && errno != ENOENT) return -1;
    return 0;
}
