/*
 * logfd.h — the descriptors of append-only log files (ErrorLog, CustomLog): opened the
 * same way everywhere, reopened in place so writers that loaded the number keep a valid
 * descriptor, and let go of by processes that will never write to them.
 *
 * Pure system calls: no allocation, no logging, no shared state; thread-safe.
 */
#ifndef EV_LOGFD_H
#define EV_LOGFD_H

#include <apr_errno.h>

/* logfd_open: `path` for appending, created 0640 if missing, close-on-exec. Returns the
 * descriptor, or -1 with errno set. */
int logfd_open(const char *path);

/* logfd_reopen: open `path` again (logrotate renamed the file) and make `fd` refer to
 * the new file (dup3): a write racing it goes to the old or the new file, never to a
 * stranger. Returns APR_SUCCESS or the error; on error `fd` still refers to the old
 * file. */
apr_status_t logfd_reopen(int fd, const char *path);

/* logfd_detach: make `fd` refer to /dev/null, its number kept (a child of a newer
 * generation does not hold an older one's rotated files open). Best effort: `fd` is
 * left as it was if /dev/null cannot be opened. */
void logfd_detach(int fd);

#endif
