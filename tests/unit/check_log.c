/* Unit tests for the logs' plumbing: how a line is dressed for stderr, the
 * journal, a file and syslog; how JOURNAL_STREAM is recognised; the syslog
 * sink, which must never wait for a daemon that does not read and must find a
 * restarted one again; whole-line appends; the counting of lost lines. */
#include "autoconfig.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "log.h"
#include "logfile.h"
#include "syslog_sink.h"

#include "check_run.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- formatting */

static const char *format(enum log_style style, enum log_level level, const char *text)
{
	static char line[256];
	size_t len = log_format_line(line, sizeof line, style, level, 1764888183, 42, text);
	ck_assert_uint_eq(len, strlen(line));
	return line;
}

START_TEST(journal_lines_carry_the_priority_and_nothing_the_journal_adds)
{
	ck_assert_str_eq(format(LOG_STYLE_JOURNAL, LOG_LEVEL_ERROR, "disk on fire"),
	                 "<3>error: disk on fire\n");
	ck_assert_str_eq(format(LOG_STYLE_JOURNAL, LOG_LEVEL_WARN, "w"), "<4>warning: w\n");
	ck_assert_str_eq(format(LOG_STYLE_JOURNAL, LOG_LEVEL_INFO, "serving"), "<6>serving\n");
	ck_assert_str_eq(format(LOG_STYLE_JOURNAL, LOG_LEVEL_DEBUG, "d"), "<7>debug: d\n");
}
END_TEST

START_TEST(stderr_file_and_syslog_lines)
{
	ck_assert_str_eq(format(LOG_STYLE_STDERR, LOG_LEVEL_ERROR, "x"), "switchboard: error: x\n");
	ck_assert_str_eq(format(LOG_STYLE_STDERR, LOG_LEVEL_INFO, "x"), "switchboard: x\n");
	ck_assert_str_eq(format(LOG_STYLE_FILE, LOG_LEVEL_WARN, "x"),
	                 "2025-12-04T22:43:03Z switchboard[42]: warning: x\n");
	ck_assert_str_eq(format(LOG_STYLE_SYSLOG, LOG_LEVEL_ERROR, "x"), "error: x\n");
}
END_TEST

START_TEST(long_lines_are_cut_but_keep_their_newline)
{
	char text[300];
	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	char line[64];
	size_t len =
	    log_format_line(line, sizeof line, LOG_STYLE_JOURNAL, LOG_LEVEL_ERROR, 0, 0, text);
	ck_assert_uint_eq(len, sizeof line - 1);
	ck_assert_uint_eq(strlen(line), len);
	ck_assert_int_eq(line[len - 1], '\n');
	ck_assert(strncmp(line, "<3>error: aaa", 13) == 0);
}
END_TEST

START_TEST(journal_stream_must_name_this_very_file)
{
	ck_assert(log_journal_stream_matches("8:1234", 8, 1234));
	ck_assert(log_journal_stream_matches("64769:18446744073709551615", 64769,
	                                     (ino_t)18446744073709551615ULL));
	ck_assert(!log_journal_stream_matches("8:1235", 8, 1234));
	ck_assert(!log_journal_stream_matches("9:1234", 8, 1234));
	ck_assert(!log_journal_stream_matches(NULL, 8, 1234));
	ck_assert(!log_journal_stream_matches("", 8, 1234));
	ck_assert(!log_journal_stream_matches("8", 8, 1234));
	ck_assert(!log_journal_stream_matches("8:", 8, 1234));
	ck_assert(!log_journal_stream_matches(":1234", 8, 1234));
	ck_assert(!log_journal_stream_matches("8:1234x", 8, 1234));
	ck_assert(!log_journal_stream_matches("8:1234:5", 8, 1234));
}
END_TEST

START_TEST(stderr_style_follows_journal_stream)
{
	char path[] = "/tmp/check_log_stderr_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char value[64];
	snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);

	setenv("JOURNAL_STREAM", value, 1);
	enum log_style journal = log_stderr_style();
	log_error("a start-up error");
	snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", value, 1); /* another file: ours is not the journal */
	enum log_style other = log_stderr_style();
	unsetenv("JOURNAL_STREAM");
	enum log_style none = log_stderr_style();
	log_warn("plain");

	dup2(saved, STDERR_FILENO);
	close(saved);
	char got[256] = "";
	ssize_t n = pread(fd, got, sizeof got - 1, 0);
	close(fd);
	unlink(path);
	ck_assert_int_eq(journal, LOG_STYLE_JOURNAL);
	ck_assert_int_eq(other, LOG_STYLE_STDERR);
	ck_assert_int_eq(none, LOG_STYLE_STDERR);
	ck_assert_int_gt(n, 0);
	ck_assert_str_eq(got, "<3>error: a start-up error\nswitchboard: warning: plain\n");
}
END_TEST

/* ---------------------------------------------------------------- syslog */

START_TEST(syslog_header_is_what_syslog3_sends)
{
	setenv("TZ", "UTC", 1);
	tzset();
	char header[128];
	size_t len =
	    syslog_header(header, sizeof header, LOG_WARNING, 1764888183, "switchboard", 42);
	ck_assert_str_eq(header, "<28>Dec  4 22:43:03 switchboard[42]: ");
	ck_assert_uint_eq(len, strlen(header));
	syslog_header(header, sizeof header, LOG_INFO, 1765888183, "sb", 7);
	ck_assert_str_eq(header, "<30>Dec 16 12:29:43 sb[7]: ");
}
END_TEST

struct daemon_socket {
	char dir[64];
	char path[108];
	int fd;
};

static void daemon_bind(struct daemon_socket *d)
{
	d->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(d->fd, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof addr.sun_path, "%s", d->path);
	ck_assert_msg(bind(d->fd, (struct sockaddr *)&addr, sizeof addr) == 0, "bind %s: %s",
	              d->path, strerror(errno));
}

static void daemon_start(struct daemon_socket *d)
{
	snprintf(d->dir, sizeof d->dir, "/tmp/check_log_XXXXXX");
	ck_assert(mkdtemp(d->dir) != NULL);
	snprintf(d->path, sizeof d->path, "%s/log", d->dir);
	daemon_bind(d);
}

static void daemon_stop(struct daemon_socket *d)
{
	close(d->fd);
	unlink(d->path);
}

static void daemon_remove(struct daemon_socket *d)
{
	daemon_stop(d);
	rmdir(d->dir);
}

static int send_text(struct syslog_sink *s, const char *text)
{
	struct iovec iov = {(void *)text, strlen(text)};
	return syslog_sink_send(s, LOG_INFO, "switchboard", &iov, 1);
}

static int64_t now_ms(void)
{
	return log_monotonic_ms();
}

START_TEST(syslog_sink_sends_one_datagram_per_line)
{
	struct daemon_socket d;
	daemon_start(&d);
	struct syslog_sink s;
	syslog_sink_init(&s, d.path);
	ck_assert_int_eq(syslog_sink_connect(&s), 0);
	ck_assert_int_eq(send_text(&s, "GET / 200"), 0);
	char got[256];
	ssize_t n = recv(d.fd, got, sizeof got - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	char want[64];
	snprintf(want, sizeof want, " switchboard[%ld]: GET / 200", (long)getpid());
	ck_assert_msg(strncmp(got, "<30>", 4) == 0, "got %s", got);
	ck_assert_msg(strstr(got, want) != NULL && strlen(strstr(got, want)) == strlen(want),
	              "got %s", got);
	syslog_sink_close(&s);
	daemon_remove(&d);
}
END_TEST

START_TEST(syslog_sink_never_waits_for_a_daemon_that_does_not_read)
{
	struct daemon_socket d;
	daemon_start(&d);
	struct syslog_sink s;
	syslog_sink_init(&s, d.path);
	ck_assert_int_eq(syslog_sink_connect(&s), 0);
	int64_t start = now_ms();
	int sent = 0, refused = 0;
	for (int i = 0; i < 5000; i++) {
		if (send_text(&s, "a line that nobody reads") == 0)
			sent++;
		else if (errno == EAGAIN)
			refused++;
	}
	int64_t took = now_ms() - start;
	ck_assert_int_gt(sent, 0);
	ck_assert_int_gt(refused, 0);
	ck_assert_msg(took < 2000, "5000 sends took %lld ms", (long long)took);
	syslog_sink_close(&s);
	daemon_remove(&d);
}
END_TEST

START_TEST(syslog_sink_finds_a_restarted_daemon)
{
	struct daemon_socket d;
	daemon_start(&d);
	struct syslog_sink s;
	syslog_sink_init(&s, d.path);
	ck_assert_int_eq(syslog_sink_connect(&s), 0);
	ck_assert_int_eq(send_text(&s, "before"), 0);
	daemon_stop(&d); /* the daemon goes away... */
	ck_assert_int_eq(send_text(&s, "while away"), -1);
	daemon_bind(&d); /* ...and a new one binds the same path */
	/* Reconnection is tried at most once a second while it fails. */
	int rc = -1;
	for (int i = 0; i < 30 && rc != 0; i++) {
		rc = send_text(&s, "after");
		if (rc != 0)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(rc, 0);
	char got[256];
	ssize_t n = recv(d.fd, got, sizeof got - 1, MSG_DONTWAIT);
	ck_assert_int_gt(n, 0);
	got[n] = '\0';
	ck_assert_msg(strstr(got, ": after") != NULL, "got %s", got);
	syslog_sink_close(&s);
	daemon_remove(&d);
}
END_TEST

START_TEST(syslog_sink_without_daemon_says_so)
{
	struct syslog_sink s;
	syslog_sink_init(&s, "/nonexistent/dev/log");
	ck_assert_int_eq(syslog_sink_connect(&s), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(send_text(&s, "x"), -1);
}
END_TEST

/* ---------------------------------------------------------------- lost lines */

START_TEST(losses_are_reported_at_once_then_at_most_every_interval)
{
	struct log_loss l = LOG_LOSS_INIT;
	char out[128];
	ck_assert(!log_loss_report(&l, 0, false, "r", out, sizeof out));
	log_loss_count(&l, ENOSPC);
	ck_assert(log_loss_report(&l, 1000, false, "disk full", out, sizeof out));
	ck_assert_str_eq(out, "1 log line dropped: disk full");
	for (int i = 0; i < 41; i++)
		log_loss_count(&l, ENOSPC);
	ck_assert(!log_loss_report(&l, 1000 + LOG_LOSS_REPORT_MS - 1, false, "r", out, sizeof out));
	ck_assert(log_loss_report(&l, 1000 + LOG_LOSS_REPORT_MS, false, "r", out, sizeof out));
	ck_assert_str_eq(out, "41 log lines dropped: r");
	log_loss_count(&l, ENOSPC);
	ck_assert(log_loss_report(&l, 1001 + LOG_LOSS_REPORT_MS, true, "r", out, sizeof out));
	ck_assert_str_eq(out, "1 log line dropped: r");
	ck_assert_uint_eq(l.total, 43);
}
END_TEST

START_TEST(append_writes_the_line_whole)
{
	char path[] = "/tmp/check_log_append_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct logfile lf = LOGFILE_NONE;
	char err[256];
	ck_assert_int_eq(logfile_open(&lf, path, err, sizeof err), 0);
	ck_assert(!lf.created);
	struct iovec iov[3] = {{"abc ", 4}, {"200", 3}, {" def\n", 5}};
	ck_assert_int_eq(logfile_append(&lf, iov, 3), 0);
	ck_assert_int_eq(logfile_append(&lf, iov, 3), 0);
	logfile_close(&lf);
	char got[64] = "";
	FILE *f = fopen(path, "r");
	ck_assert(f != NULL);
	size_t n = fread(got, 1, sizeof got - 1, f);
	fclose(f);
	unlink(path);
	ck_assert_uint_eq(n, 24);
	ck_assert_str_eq(got, "abc 200 def\nabc 200 def\n");
}
END_TEST

START_TEST(a_line_over_the_file_size_limit_leaves_nothing_behind)
{
	/* RLIMIT_FSIZE makes the short write that a full disk makes. */
	char path[] = "/tmp/check_log_fsize_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	struct logfile lf = LOGFILE_NONE;
	char err[256];
	ck_assert_int_eq(logfile_open(&lf, path, err, sizeof err), 0);
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit old, lim = {100, 100};
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	char line[40];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	struct iovec iov = {line, sizeof line};
	int ok = 0, lost = 0;
	for (int i = 0; i < 5; i++) {
		if (logfile_append(&lf, &iov, 1) == 0)
			ok++;
		else
			lost++;
	}
	setrlimit(RLIMIT_FSIZE, &old);
	ck_assert_int_eq(logfile_append(&lf, &iov, 1), 0); /* room again */
	logfile_close(&lf);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);
	ck_assert_int_eq(ok, 2);
	ck_assert_int_eq(lost, 3);
	ck_assert_int_eq(st.st_size, 3 * (off_t)sizeof line);
}
END_TEST

START_TEST(only_a_file_we_created_is_given_away)
{
	char dir[] = "/tmp/check_log_give_XXXXXX";
	ck_assert(mkdtemp(dir) != NULL);
	char made[64], planted[64], target[64];
	snprintf(made, sizeof made, "%s/made.log", dir);
	snprintf(planted, sizeof planted, "%s/planted.log", dir);
	snprintf(target, sizeof target, "%s/target", dir);
	int fd = open(target, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(symlink(target, planted), 0);

	struct logfile a = LOGFILE_NONE, b = LOGFILE_NONE;
	char err[256], warn[512];
	ck_assert_int_eq(logfile_open(&a, made, err, sizeof err), 0);
	ck_assert_int_eq(logfile_open(&b, planted, err, sizeof err), 0);
	ck_assert(a.created);
	ck_assert(!b.created); /* a symbolic link someone left there is not ours */
	uid_t other_uid = geteuid() == 0 ? 65534 : geteuid();
	gid_t other_gid = geteuid() == 0 ? 65534 : getegid();
	logfile_give_to(&a, other_uid, other_gid, warn, sizeof warn);
	ck_assert_str_eq(warn, "");
	logfile_give_to(&b, other_uid, other_gid, warn, sizeof warn);
	struct stat st_made, st_target;
	ck_assert_int_eq(stat(made, &st_made), 0);
	ck_assert_int_eq(stat(target, &st_target), 0);
	logfile_close(&a);
	logfile_close(&b);
	unlink(made);
	unlink(planted);
	unlink(target);
	rmdir(dir);
	ck_assert_uint_eq(st_made.st_uid, other_uid);
	mode_t mask = umask(0);
	umask(mask);
	ck_assert_uint_eq(st_made.st_mode & 0777, 0640 & ~mask);
	ck_assert_uint_eq(st_target.st_uid, geteuid()); /* never given away */
	if (geteuid() == 0)
		ck_assert_msg(strstr(warn, "not writable by uid 65534") != NULL, "warning: %s",
		              warn);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, journal_lines_carry_the_priority_and_nothing_the_journal_adds);
	tcase_add_test(tc, stderr_file_and_syslog_lines);
	tcase_add_test(tc, long_lines_are_cut_but_keep_their_newline);
	tcase_add_test(tc, journal_stream_must_name_this_very_file);
	tcase_add_test(tc, stderr_style_follows_journal_stream);
	suite_add_tcase(s, tc);
	tc = tcase_create("syslog");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, syslog_header_is_what_syslog3_sends);
	tcase_add_test(tc, syslog_sink_sends_one_datagram_per_line);
	tcase_add_test(tc, syslog_sink_never_waits_for_a_daemon_that_does_not_read);
	tcase_add_test(tc, syslog_sink_finds_a_restarted_daemon);
	tcase_add_test(tc, syslog_sink_without_daemon_says_so);
	suite_add_tcase(s, tc);
	tc = tcase_create("losses");
	tcase_add_test(tc, losses_are_reported_at_once_then_at_most_every_interval);
	tcase_add_test(tc, append_writes_the_line_whole);
	tcase_add_test(tc, a_line_over_the_file_size_limit_leaves_nothing_behind);
	tcase_add_test(tc, only_a_file_we_created_is_given_away);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(log_suite());
}
