/*
 * http_path.h — from a request-target to an open file beneath the document root.
 *
 * Two steps, each closing one class of traversal attack:
 *   1. http_path_normalize works on the URL alone: percent-decoding, then RFC 3986
 *      dot-segment removal on the DECODED path (so "%2e%2e" is ".."), refusing encoded
 *      slashes (404, as Apache with AllowEncodedSlashes Off), NUL and control bytes (400)
 *      and any path that would climb above "/" (400).
 *   2. http_path_open_beneath lets the kernel enforce the root on the file system:
 *      openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS relative to a descriptor
 *      of the document root, so no symlink can lead outside it, whatever races happen.
 * No allocation, no shared state besides one atomic flag (see http_path_open_beneath);
 * thread-safe; never logs.
 */
#ifndef EV_HTTP_PATH_H
#define EV_HTTP_PATH_H

#include <fcntl.h>
#include <stddef.h>

/* Extra open flags a caller may pass to the open functions. */
#define EV_HTTP_PATH_OPEN_FLAGS (O_DIRECTORY | O_NOFOLLOW)

/*
 * http_path_query_start: the offset of the '?' that starts the query in target[0..len),
 * or len when there is none. The query (target + offset + 1) is left undecoded.
 */
size_t http_path_query_start(const char *target, size_t len);

/*
 * http_path_normalize: turn an origin-form request-target (target[0..len), not
 * NUL-terminated, starting with '/'; everything from '?' on is ignored) into a clean
 * absolute path in out[0..outsize): percent-decoded (%XX, hex digits in either case),
 * runs of '/' merged, "." and ".." segments removed after decoding (RFC 3986 section
 * 5.2.4), NUL-terminated, always starting with '/', a trailing '/' kept (also the one
 * a final "." or ".." leaves, as RFC 3986 does: "/a/b/.." gives "/a/"). *outlen gets
 * the length without the NUL. A backslash is an ordinary byte, and so is any byte
 * >= 0x80, raw or decoded (file names are bytes on Linux).
 * The caller turns an absolute-form target into origin-form first; "*" is not a path.
 * Returns 0, or the status to answer:
 *   400  target empty or not starting with '/'; a raw byte < 0x21, 0x7F or '#'; a '%'
 *        not followed by two hex digits; a decoded NUL or control byte (< 0x20, 0x7F);
 *        a ".." that would climb above "/".
 *   404  an encoded '/' (%2F), which no file name can contain.
 *   414  `out` too small; outsize > len never gives 414.
 * The first offending byte, left to right, decides the status. Thread-safe.
 */
int http_path_normalize(const char *target, size_t len, char *out, size_t outsize, size_t *outlen);

/*
 * http_path_open_beneath: open the normalized `path` ("/" names the root itself)
 * relative to `root_fd`, a descriptor of the document root directory (O_PATH is
 * enough), with O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK plus `flags` (a subset of
 * EV_HTTP_PATH_OPEN_FLAGS). O_NONBLOCK makes a FIFO open without waiting for a writer;
 * it changes nothing for regular files and directories. The caller must fstat the
 * result and refuse anything but a regular file (or a directory it means to index).
 * Resolution: openat2 with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS. Symlinks are
 * followed while they stay beneath the root, relative ones with ".." included;
 * a symlink leading out, and EVERY absolute symlink (even one pointing back inside
 * the root), fails with EXDEV; /proc-style magic links fail with ELOOP. A transient
 * EAGAIN (a concurrent rename, see openat2(2)) is retried up to 3 times.
 * Fallback: when the kernel lacks openat2 (ENOSYS, before Linux 5.6; the process then
 * remembers it in an atomic flag) or a seccomp filter refuses it with EPERM, the path
 * is opened by http_path_open_walk, which refuses all symlinks.
 * Returns 0 with the new descriptor in *fd_out (the caller owns and closes it), or an
 * errno value (EINVAL for bad flags or a path not starting with '/'); map it to a
 * status with http_path_errno_status. Thread-safe.
 */
int http_path_open_beneath(int root_fd, const char *path, int flags, int *fd_out);

/*
 * http_path_open_walk: the fallback of http_path_open_beneath, usable on any kernel:
 * one openat per component, intermediate ones with O_PATH | O_NOFOLLOW and checked to
 * be directories, the last with O_NOFOLLOW. Any symlink in the path fails with ELOOP
 * (403), even one that stays inside the root; a ".." component fails with EXDEV.
 * Same flags, ownership and returns as http_path_open_beneath. Thread-safe.
 */
int http_path_open_walk(int root_fd, const char *path, int flags, int *fd_out);

/*
 * http_path_errno_status: the HTTP status for an open error: ENOENT, ENOTDIR -> 404;
 * EACCES, EPERM, EXDEV, ELOOP, ENXIO (a socket file) -> 403; ENAMETOOLONG -> 414;
 * anything else -> 500.
 */
int http_path_errno_status(int err);

#endif
