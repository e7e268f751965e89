/*
 * logfd.c — opening, reopening and detaching log file descriptors (logfd.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "logfd.h"

#define LOGFD_MODE 0640 /* the group (adm) reads logs, others do not */

int
logfd_open(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, LOGFD_MODE);
}

/* Make `to` refer to what `from` does, then close `from`. */
static apr_status_t
logfd_replace(int from, int to)
{
    apr_status_t rv = APR_SUCCESS;

    if (from != to && dup3(from, to, O_CLOEXEC) < 0)
        rv = APR_FROM_OS_ERROR(errno);
    if (from != to)
        close(from);
    return rv;
}

apr_status_t
logfd_reopen(int fd, const char *path)
{
    int nfd = logfd_open(path);

    if (nfd < 0)
        return APR_FROM_OS_ERROR(errno);
    return logfd_replace(nfd, fd);
}

void
logfd_detach(int fd)
{
    int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (nul >= 0)
        (void)logfd_replace(nul, fd);
}
