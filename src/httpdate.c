/* httpdate — HTTP dates (RFC 9110 section 5.6.7).
 *
 * Everything is done by hand against fixed English names, never with strftime or
 * strptime, so the result cannot depend on the process locale.
 *
 * Policies beyond the header:
 *   - Formatting clamps t to the years 0001..9999, the range a 4-digit
 *     IMF-fixdate year can hold, so the output is always exactly 29 bytes.
 *   - An RFC 850 two-digit year is placed in the 100-year window that ends 50
 *     years after the current year (RFC 9110: a date that appears to be more
 *     than 50 years in the future is in the past century).
 *   - A leap second (:60) is accepted and converts to the following second.
 *   - The weekday must be a valid name but need not match the date.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "httpdate.h"

#include <string.h>

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define EARLIEST_FORMATTABLE (-62135596800LL)
#define LATEST_FORMATTABLE 253402300799LL

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Write value as exactly width decimal digits, zero-padded. */
static char *put_digits(char *p, int value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + value % 10);
		value /= 10;
	}
	return p + width;
}

static char *put_text(char *p, const char *text)
{
	size_t n = strlen(text);

	/* Part of a longer text: the caller ends it with its NUL. */
	memcpy(p, text, n); // NOLINT(bugprone-not-null-terminated-result)
	return p + n;
}

void httpdate_format(time_t t, char out[HTTPDATE_LEN + 1])
{
	struct tm tm;
	char *p = out;

	/* Compared as long long so that the bounds compile for any time_t width. */
	if ((long long)t < EARLIEST_FORMATTABLE)
		t = (time_t)EARLIEST_FORMATTABLE;
	if ((long long)t > LATEST_FORMATTABLE)
		t = (time_t)LATEST_FORMATTABLE;
	if (!gmtime_r(&t, &tm)) {
		time_t epoch = 0;
		gmtime_r(&epoch, &tm);
	}
	p = put_text(p, day_names[tm.tm_wday]);
	p = put_text(p, ", ");
	p = put_digits(p, tm.tm_mday, 2);
	*p++ = ' ';
	p = put_text(p, month_names[tm.tm_mon]);
	*p++ = ' ';
	p = put_digits(p, tm.tm_year + 1900, 4);
	*p++ = ' ';
	p = put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_sec, 2);
	p = put_text(p, " GMT");
	*p = '\0';
}

/* ------------------------------------------------------------------ parsing */

struct cursor {
	const char *p;
	const char *end;
};

/* The fields as written; month is 0..11. */
struct date_fields {
	int year, month, day, hour, minute, second;
};

static bool take_char(struct cursor *c, char expected)
{
	if (c->p == c->end || *c->p != expected)
		return false;
	c->p++;
	return true;
}

static bool take_text(struct cursor *c, const char *text)
{
	size_t n = strlen(text);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, text, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* Exactly count ASCII digits (isdigit would consult the locale). */
static bool take_digits(struct cursor *c, int count, int *value)
{
	int v = 0;

	if (c->end - c->p < count)
		return false;
	for (int i = 0; i < count; i++) {
		char ch = c->p[i];
		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	c->p += count;
	*value = v;
	return true;
}

/* One of names (none is a prefix of another); its index goes to *index. */
static bool take_name(struct cursor *c, const char *const *names, int count, int *index)
{
	for (int i = 0; i < count; i++) {
		if (take_text(c, names[i])) {
			*index = i;
			return true;
		}
	}
	return false;
}

static bool take_day_name(struct cursor *c)
{
	int ignored;

	return take_name(c, day_names, 7, &ignored);
}

static bool take_month(struct cursor *c, int *month)
{
	return take_name(c, month_names, 12, month);
}

/* time-of-day = hour ":" minute ":" second */
static bool take_time_of_day(struct cursor *c, struct date_fields *f)
{
	return take_digits(c, 2, &f->hour) && take_char(c, ':') && take_digits(c, 2, &f->minute) &&
	       take_char(c, ':') && take_digits(c, 2, &f->second);
}

static bool at_end(const struct cursor *c)
{
	return c->p == c->end;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf_fixdate(struct cursor c, struct date_fields *f)
{
	return take_day_name(&c) && take_text(&c, ", ") && take_digits(&c, 2, &f->day) &&
	       take_char(&c, ' ') && take_month(&c, &f->month) && take_char(&c, ' ') &&
	       take_digits(&c, 4, &f->year) && take_char(&c, ' ') && take_time_of_day(&c, f) &&
	       take_text(&c, " GMT") && at_end(&c);
}

static int current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == (time_t)-1 || !gmtime_r(&now, &tm))
		return 2000; /* any year works if the clock is unavailable */
	return tm.tm_year + 1900;
}

/* RFC 9110: a two-digit year more than 50 years in the future is in the past. */
static int expand_two_digit_year(int yy)
{
	int now = current_year();
	int year = now - now % 100 + yy;

	if (year > now + 50)
		year -= 100;
	else if (year <= now - 50)
		year += 100;
	return year;
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" */
static bool parse_rfc850_date(struct cursor c, struct date_fields *f)
{
	int weekday, yy;

	if (!(take_name(&c, long_day_names, 7, &weekday) && take_text(&c, ", ") &&
	      take_digits(&c, 2, &f->day) && take_char(&c, '-') && take_month(&c, &f->month) &&
	      take_char(&c, '-') && take_digits(&c, 2, &yy) && take_char(&c, ' ') &&
	      take_time_of_day(&c, f) && take_text(&c, " GMT") && at_end(&c)))
		return false;
	f->year = expand_two_digit_year(yy);
	return true;
}

/* The day of an asctime date is two digits or a space and one digit. */
static bool take_asctime_day(struct cursor *c, int *day)
{
	if (take_char(c, ' '))
		return take_digits(c, 1, day);
	return take_digits(c, 2, day);
}

/* "Sun Nov  6 08:49:37 1994" */
static bool parse_asctime_date(struct cursor c, struct date_fields *f)
{
	return take_day_name(&c) && take_char(&c, ' ') && take_month(&c, &f->month) &&
	       take_char(&c, ' ') && take_asctime_day(&c, &f->day) && take_char(&c, ' ') &&
	       take_time_of_day(&c, f) && take_char(&c, ' ') && take_digits(&c, 4, &f->year) &&
	       at_end(&c);
}

static bool is_leap_year(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return month == 1 && is_leap_year(year) ? 29 : days[month];
}

static bool fields_in_range(const struct date_fields *f)
{
	return f->day >= 1 && f->day <= days_in_month(f->year, f->month) && f->hour < 24 &&
	       f->minute < 60 && f->second <= 60;
}

bool httpdate_parse(const char *s, size_t len, time_t *out)
{
	struct cursor c = {s, s ? s + len : s};
	struct date_fields f;
	struct tm tm;

	if (s == NULL)
		return false;
	if (!parse_imf_fixdate(c, &f) && !parse_rfc850_date(c, &f) && !parse_asctime_date(c, &f))
		return false;
	if (!fields_in_range(&f))
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f.year - 1900;
	tm.tm_mon = f.month;
	tm.tm_mday = f.day;
	tm.tm_hour = f.hour;
	tm.tm_min = f.minute;
	tm.tm_sec = f.second;
	*out = timegm(&tm);
	return true;
}
