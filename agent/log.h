/*
 * log.h - hvctld's diagnostics, on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) every line starts with a "<N>"
 * priority prefix, which journald turns into the message priority; on a
 * terminal the lines start with "hvctld: ".
 */
#ifndef HVCTLD_LOG_H
#define HVCTLD_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

/* Messages above `level` are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* HVCTLD_LOG_H */
