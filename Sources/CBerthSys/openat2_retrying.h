#ifndef BERTH_OPENAT2_RETRYING_H
#define BERTH_OPENAT2_RETRYING_H
#include <linux/openat2.h>

/// openat2(2), retried while it fails with EAGAIN (a scoped ".." raced a rename or mount).
int berth_openat2_retrying(int dirfd, const char *path, struct open_how *how);

#endif
