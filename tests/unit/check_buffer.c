/* Unit tests for buffer: appending, consuming, reserving, compaction, printf
 * growth, and a fixed-seed sequence of operations checked against a model. */
#include "autoconfig.h"

#include "buffer.h"

#include "check_run.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ helpers */

static void assert_contents(const struct buf *b, const char *want, size_t want_len)
{
	ck_assert_uint_eq(buf_len(b), want_len);
	ck_assert_uint_le(b->start, b->end);
	ck_assert_uint_le(b->end, b->cap);
	if (want_len > 0)
		ck_assert_mem_eq(buf_head(b), want, want_len);
}

static void assert_text(const struct buf *b, const char *want)
{
	assert_contents(b, want, strlen(want));
}

static void assert_empty_and_released(const struct buf *b)
{
	ck_assert_ptr_null(b->data);
	ck_assert_uint_eq(b->start, 0);
	ck_assert_uint_eq(b->end, 0);
	ck_assert_uint_eq(b->cap, 0);
	ck_assert_uint_eq(buf_len(b), 0);
}

/* n bytes of a recognisable pattern: "0123456789abcdef0123..." from `from`. */
static void fill_pattern(char *out, size_t n, size_t from)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++)
		out[i] = digits[(from + i) % 16];
}

static void append_pattern(struct buf *b, size_t n, size_t from)
{
	char *bytes = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(bytes);
	fill_pattern(bytes, n, from);
	ck_assert_int_eq(buf_append(b, bytes, n), 0);
	free(bytes);
}

static void assert_pattern(const struct buf *b, size_t n, size_t from)
{
	char *want = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(want);
	fill_pattern(want, n, from);
	assert_contents(b, want, n);
	free(want);
}

/* --------------------------------------------------------- append, consume */

START_TEST(test_init_is_empty)
{
	struct buf b = BUF_INIT;
	assert_empty_and_released(&b);
	buf_free(&b);
	assert_empty_and_released(&b);
}
END_TEST

START_TEST(test_append_and_append_str)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	assert_text(&b, "abc");
	ck_assert_int_eq(buf_append_str(&b, "defg"), 0);
	assert_text(&b, "abcdefg");
	ck_assert_int_eq(buf_append_str(&b, ""), 0);
	ck_assert_int_eq(buf_append(&b, "zzz", 0), 0);
	assert_text(&b, "abcdefg");
	/* Bytes, not strings: NUL is data. */
	ck_assert_int_eq(buf_append(&b, "\0x\0", 3), 0);
	assert_contents(&b, "abcdefg\0x\0", 10);
	buf_free(&b);
}
END_TEST

START_TEST(test_append_nothing_to_empty)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_append(&b, "", 0), 0);
	ck_assert_int_eq(buf_append_str(&b, ""), 0);
	ck_assert_uint_eq(buf_len(&b), 0);
	buf_free(&b);
	assert_empty_and_released(&b);
}
END_TEST

struct consume_case {
	const char *name;
	size_t consume;
	const char *left;
};

static const struct consume_case consume_cases[] = {
    {"nothing", 0, "hello world"},
    {"one byte", 1, "ello world"},
    {"half", 6, "world"},
    {"all but one", 10, "d"},
    {"exactly all", 11, ""},
    {"more than all", 12, ""},
    {"far more than all", SIZE_MAX, ""},
};

START_TEST(test_consume)
{
	const struct consume_case *c = &consume_cases[_i];
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_append_str(&b, "hello world"), 0);
	buf_consume(&b, c->consume);
	ck_assert_msg(buf_len(&b) == strlen(c->left), "%s: %zu bytes left", c->name, buf_len(&b));
	assert_text(&b, c->left);
	/* An emptied buffer starts again at offset 0. */
	if (c->left[0] == '\0')
		ck_assert_uint_eq(b.start, 0);
	ck_assert_int_eq(buf_append_str(&b, "!"), 0);
	ck_assert_uint_eq(buf_len(&b), strlen(c->left) + 1);
	ck_assert_int_eq(buf_head(&b)[buf_len(&b) - 1], '!');
	buf_free(&b);
}
END_TEST

START_TEST(test_consume_empty)
{
	struct buf b = BUF_INIT;
	buf_consume(&b, 0);
	buf_consume(&b, 5);
	ck_assert_uint_eq(buf_len(&b), 0);
	ck_assert_uint_eq(b.start, 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_consume_in_steps)
{
	struct buf b = BUF_INIT;
	append_pattern(&b, 100, 0);
	for (size_t done = 0; done < 100; done += 7) {
		assert_pattern(&b, 100 - done, done);
		buf_consume(&b, 7);
	}
	ck_assert_uint_eq(buf_len(&b), 0);
	ck_assert_uint_eq(b.start, 0);
	buf_free(&b);
}
END_TEST

/* ------------------------------------------------------- reserve, compaction */

START_TEST(test_reserve_makes_room)
{
	static const size_t sizes[] = {0, 1, 255, 256, 257, 1000, 70000};
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		struct buf b = BUF_INIT;
		ck_assert_int_eq(buf_append_str(&b, "xy"), 0);
		ck_assert_int_eq(buf_reserve(&b, sizes[i]), 0);
		ck_assert_uint_ge(b.cap - b.end, sizes[i]);
		assert_text(&b, "xy");
		/* What was reserved is used without moving the bytes. */
		const char *data = b.data;
		append_pattern(&b, sizes[i], 0);
		ck_assert_ptr_eq(b.data, data);
		ck_assert_uint_eq(buf_len(&b), 2 + sizes[i]);
		buf_free(&b);
	}
}
END_TEST

START_TEST(test_reserve_on_empty)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_reserve(&b, 10), 0);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_ge(b.cap, 10);
	ck_assert_uint_eq(buf_len(&b), 0);
	buf_free(&b);
	assert_empty_and_released(&b);
}
END_TEST

START_TEST(test_reserve_impossible)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_append_str(&b, "keep"), 0);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), -1);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX - 2), -1);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX / 2 + 2), -1);
	assert_text(&b, "keep");
	buf_free(&b);
}
END_TEST

/* Consume half, then append more than the free tail but less than the free
 * total: the bytes slide to the front instead of the buffer growing. */
START_TEST(test_compaction)
{
	struct buf b = BUF_INIT;
	append_pattern(&b, 200, 0);
	size_t cap = b.cap;
	ck_assert_uint_ge(cap, 200);
	buf_consume(&b, 100);
	size_t more = cap - b.end + 10;
	ck_assert_uint_le(100 + more, cap);
	append_pattern(&b, more, 200);

	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.start, 0);
	char *want = malloc(100 + more);
	ck_assert_ptr_nonnull(want);
	fill_pattern(want, 100 + more, 100);
	assert_contents(&b, want, 100 + more);
	free(want);
	buf_free(&b);
}
END_TEST

/* More than compaction can make room for: it grows, keeping the bytes. */
START_TEST(test_growth_after_consume)
{
	struct buf b = BUF_INIT;
	append_pattern(&b, 200, 0);
	buf_consume(&b, 50);
	append_pattern(&b, 1000, 200);
	ck_assert_uint_ge(b.cap, 1150);
	assert_pattern(&b, 1150, 50);
	buf_free(&b);
}
END_TEST

/* --------------------------------------------------------------- buf_printf */

START_TEST(test_printf_formats)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_printf(&b, "%d %s|%5.2f|%x", -42, "two", 3.14159, 255u), 0);
	assert_text(&b, "-42 two| 3.14|ff");
	ck_assert_int_eq(buf_printf(&b, "%s", ""), 0);
	assert_text(&b, "-42 two| 3.14|ff");
	ck_assert_int_eq(buf_printf(&b, "%c%llu", 'Z', 18446744073709551615ull), 0);
	assert_text(&b, "-42 two| 3.14|ffZ18446744073709551615");
	buf_free(&b);
}
END_TEST

START_TEST(test_printf_empty_into_empty)
{
	struct buf b = BUF_INIT;
	ck_assert_int_eq(buf_printf(&b, "%s", ""), 0);
	ck_assert_uint_eq(buf_len(&b), 0);
	buf_free(&b);
}
END_TEST

struct printf_case {
	const char *name;
	size_t before;  /* bytes appended first */
	size_t consume; /* then consumed */
	size_t width;   /* the formatted text's length */
};

static const struct printf_case printf_cases[] = {
    {"short", 0, 0, 10},
    {"exactly the first allocation", 0, 0, 255},
    {"one over the first allocation", 0, 0, 256},
    {"beyond 256 bytes", 0, 0, 300},
    {"far beyond", 0, 0, 5000},
    {"after other bytes", 100, 0, 300},
    {"filling the tail exactly", 200, 0, 55},
    {"after consuming", 200, 150, 150},
    {"after consuming, growing", 200, 150, 400},
};

START_TEST(test_printf_growth)
{
	const struct printf_case *c = &printf_cases[_i];
	struct buf b = BUF_INIT;
	append_pattern(&b, c->before, 0);
	buf_consume(&b, c->consume);
	ck_assert_int_eq(buf_printf(&b, "<%0*d>", (int)c->width - 2, 7), 0);

	size_t kept = c->before - c->consume;
	ck_assert_msg(buf_len(&b) == kept + c->width, "%s: %zu bytes", c->name, buf_len(&b));
	const char *head = buf_head(&b);
	char *want = malloc(kept + 1);
	ck_assert_ptr_nonnull(want);
	fill_pattern(want, kept, c->consume);
	ck_assert_msg(memcmp(head, want, kept) == 0, "%s: the earlier bytes changed", c->name);
	free(want);
	ck_assert_int_eq(head[kept], '<');
	for (size_t i = 1; i + 2 < c->width; i++)
		ck_assert_msg(head[kept + i] == '0', "%s: byte %zu", c->name, i);
	ck_assert_int_eq(head[kept + c->width - 2], '7');
	ck_assert_int_eq(head[kept + c->width - 1], '>');
	/* The terminating NUL vsnprintf writes is not part of the contents. */
	ck_assert_int_eq(buf_append_str(&b, "+"), 0);
	ck_assert_int_eq(buf_head(&b)[kept + c->width], '+');
	buf_free(&b);
}
END_TEST

/* ----------------------------------------------------------------- buf_free */

START_TEST(test_free_resets_and_reuse)
{
	struct buf b = BUF_INIT;
	append_pattern(&b, 1000, 0);
	buf_consume(&b, 10);
	buf_free(&b);
	assert_empty_and_released(&b);
	buf_free(&b); /* twice is harmless */
	assert_empty_and_released(&b);
	ck_assert_int_eq(buf_append_str(&b, "again"), 0);
	assert_text(&b, "again");
	ck_assert_uint_eq(b.start, 0);
	buf_free(&b);
}
END_TEST

/* ------------------------------------------------- random operations, model */

static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* The model: the pattern position of the first byte, and how many follow. */
struct model {
	size_t from;
	size_t len;
};

START_TEST(test_random_operations)
{
	uint32_t rng = 20240229u;
	struct buf b = BUF_INIT;
	struct model m = {0, 0};
	char chunk[3000];

	for (int step = 0; step < 3000; step++) {
		uint32_t op = next_random(&rng) % 4;
		uint32_t r = next_random(&rng);
		size_t n = (r >> 4) % (r % 16 == 0 ? sizeof chunk : 120);
		switch (op) {
		case 0:
			append_pattern(&b, n, m.from + m.len);
			m.len += n;
			break;
		case 1:
			fill_pattern(chunk, n, m.from + m.len);
			ck_assert_int_eq(buf_printf(&b, "%.*s", (int)n, chunk), 0);
			m.len += n;
			break;
		case 2:
			buf_consume(&b, 2 * n);
			if (2 * n >= m.len)
				m = (struct model){m.from + m.len, 0};
			else
				m = (struct model){m.from + 2 * n, m.len - 2 * n};
			break;
		case 3:
			ck_assert_int_eq(buf_reserve(&b, n), 0);
			ck_assert_uint_ge(b.cap - b.end, n);
			break;
		}
		assert_pattern(&b, m.len, m.from);
	}
	buf_free(&b);
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *buffer_suite(void)
{
	Suite *s = suite_create("buffer");
	TCase *basic = tcase_create("append_consume");
	TCase *room = tcase_create("reserve");
	TCase *formatted = tcase_create("printf");
	TCase *model = tcase_create("model");

	tcase_add_test(basic, test_init_is_empty);
	tcase_add_test(basic, test_append_and_append_str);
	tcase_add_test(basic, test_append_nothing_to_empty);
	tcase_add_loop_test(basic, test_consume, 0, (int)ARRAY_LEN(consume_cases));
	tcase_add_test(basic, test_consume_empty);
	tcase_add_test(basic, test_consume_in_steps);
	tcase_add_test(basic, test_free_resets_and_reuse);
	suite_add_tcase(s, basic);

	tcase_add_test(room, test_reserve_makes_room);
	tcase_add_test(room, test_reserve_on_empty);
	tcase_add_test(room, test_reserve_impossible);
	tcase_add_test(room, test_compaction);
	tcase_add_test(room, test_growth_after_consume);
	suite_add_tcase(s, room);

	tcase_add_test(formatted, test_printf_formats);
	tcase_add_test(formatted, test_printf_empty_into_empty);
	tcase_add_loop_test(formatted, test_printf_growth, 0, (int)ARRAY_LEN(printf_cases));
	suite_add_tcase(s, formatted);

	tcase_add_test(model, test_random_operations);
	suite_add_tcase(s, model);
	return s;
}

int main(void)
{
	return check_run(buffer_suite());
}
