/*
 * notify.h — telling systemd how the server is doing (sd_notify, Type=notify).
 *
 * Who: the parent only (children never notify). Every call is a no-op when
 * NOTIFY_SOCKET is not set, so the daemon behaves the same outside systemd.
 */
#ifndef EV_NOTIFY_H
#define EV_NOTIFY_H

#include <stdint.h>

/* notify_ready: READY=1 with a STATUS line (generation N serving). */
void notify_ready(unsigned generation);

/* notify_reloading: RELOADING=1 with MONOTONIC_USEC, before a restart begins. */
void notify_reloading(void);

/* notify_stopping: STOPPING=1. */
void notify_stopping(void);

/* notify_status: a STATUS= line (printf-style). */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* notify_watchdog_usec: the watchdog interval systemd asked for (WatchdogSec), 0 if none. */
uint64_t notify_watchdog_usec(void);

/* notify_watchdog: WATCHDOG=1 (call only while the parent and its children are healthy). */
void notify_watchdog(void);

#endif
