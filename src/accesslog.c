#include "autoconfig.h"

#include "accesslog.h"

#include "address.h"

#include "log.h"
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>

/* The plain place of the access log is nowhere ("off"). */
static struct log_target target = LOG_TARGET_PLAIN;

/* Lost lines are told in the error log: at once for the first, then at most
 * once per LOG_LOSS_REPORT_MS, and all that are left when the log closes. */
static void report_losses(bool force)
{
	char report[512];
	if (log_target_loss_report(&target, "access log", force, report, sizeof report))
		log_warn("%s", report);
}

int accesslog_open(const char *where, char *err, size_t err_size)
{
	char warn[256];
	report_losses(true); /* what the old target lost, before it goes */
	if (log_target_open(&target, where, "off", warn, sizeof warn, err, err_size) < 0)
		return -1;
	if (warn[0] != '\0')
		log_warn("access log: %s", warn);
	return 0;
}

int accesslog_reopen(char *err, size_t err_size)
{
	return logfile_reopen(&target.file, err, err_size);
}

void accesslog_give_to(uid_t uid, gid_t gid)
{
	char warn[512];
	logfile_give_to(&target.file, uid, gid, warn, sizeof warn);
	if (warn[0] != '\0')
		log_warn("access log %s", warn);
}

void accesslog_close(void)
{
	report_losses(true);
	log_target_close(&target);
}

uint64_t accesslog_dropped_lines(void)
{
	return target.loss.total;
}

bool accesslog_enabled(void)
{
	return target.sink != LOG_SINK_PLAIN;
}

/* Request bytes into a field: nothing can close the quote or the line, and in
 * an unquoted field (unquoted: the user) nothing can end the field either. */
static int append_escaped_as(struct buf *out, const char *s, size_t len, bool unquoted)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_reserve(out, len * 4 + 1) < 0)
		return -1;
	char *w = out->data + out->end;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*w++ = '\\';
			*w++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f || (unquoted && c == ' ')) {
			*w++ = '\\';
			*w++ = 'x';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		} else {
			*w++ = (char)c;
		}
	}
	out->end = (size_t)(w - out->data);
	return 0;
}

static int append_escaped(struct buf *out, const char *s, size_t len)
{
	return append_escaped_as(out, s, len, false);
}

/* A field from the request: "-" when absent, else its escaped bytes. */
static int append_field(struct buf *out, const char *s, size_t len)
{
	if (len == 0)
		return buf_append_str(out, "-");
	return append_escaped(out, s, len);
}

int accesslog_begin(struct buf *line, const struct accesslog_fields *f, size_t *split)
{
	char host[INET6_ADDRSTRLEN], when[40];
	struct tm tm;
	address_text(f->peer, host, sizeof host);
	gmtime_r(&f->when, &tm);
	strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);

	line->start = line->end = 0;
	int rc = buf_printf(line, "%s - ", host);
	rc |= f->user_len > 0 ? append_escaped_as(line, f->user, f->user_len, true)
	                      : buf_append_str(line, "-");
	rc |= buf_printf(line, " [%s] \"", when);
	rc |= append_escaped(line, f->request_line, f->request_line_len);
	rc |= buf_printf(line, "\" %d ", f->status);
	*split = line->end;
	rc |= buf_append_str(line, " \"");
	rc |= append_field(line, f->referer, f->referer_len);
	rc |= buf_append_str(line, "\" \"");
	rc |= append_field(line, f->user_agent, f->user_agent_len);
	rc |= buf_append_str(line, "\"");
	if (f->via != NULL) {
		char via[INET6_ADDRSTRLEN];
		address_text(f->via, via, sizeof via);
		rc |= buf_printf(line, " \"%s\"", via);
	}
	rc |= buf_append_str(line, "\n");
	return rc < 0 ? -1 : 0;
}

static size_t format_bytes(uint64_t body_bytes, char out[24])
{
	if (body_bytes == 0)
		return (size_t)snprintf(out, 24, "-");
	return (size_t)snprintf(out, 24, "%llu", (unsigned long long)body_bytes);
}

void accesslog_finish(const struct buf *line, size_t split, uint64_t body_bytes)
{
	if (target.sink == LOG_SINK_PLAIN || buf_len(line) == 0)
		return;
	char count[24];
	size_t count_len = format_bytes(body_bytes, count);
	const char *text = buf_head(line);
	struct iovec iov[3] = {
	    {(void *)text, split},
	    {count, count_len},
	    {(void *)(text + split), buf_len(line) - split},
	};
	/* One writev per line, whole or not at all, so that lines from several
	 * processes never mix; a line that cannot go is counted, not waited for. */
	log_target_write(&target, LOG_INFO, iov, 3);
	report_losses(false);
}

int accesslog_render(struct buf *out, const struct buf *line, size_t split, uint64_t body_bytes)
{
	char count[24];
	size_t count_len = format_bytes(body_bytes, count);
	int rc = buf_append(out, buf_head(line), split);
	rc |= buf_append(out, count, count_len);
	rc |= buf_append(out, buf_head(line) + split, buf_len(line) - split);
	return rc < 0 ? -1 : 0;
}
