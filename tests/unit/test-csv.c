/* Unit tests of the CSV/TSV tokenizer, sniffing, roles and field parsers. */
#include <string.h>

#include "kith/core.h"
#include "kith/csv.h"

/* Tokenizes DATA and renders every record as "LINE:reason:f1/f2/..." (for
 * bad records "LINE:reason:<raw>"), records joined by " ; ". */
static char *
render_opt(const char *data, size_t len, const struct kith_csv_options *o,
           struct kith_csv_stats *st_out, char *sep_out,
           gboolean *hdr_out)
{
	GError *err = NULL;
	struct kith_csv *r = kith_csv_open_memory("t", data, len, o, &err);
	g_assert_no_error(err);
	GString *s = g_string_new(NULL);
	struct kith_csv_record rec;
	int rc;
	while ((rc = kith_csv_next(r, &rec, &err)) > 0) {
		if (s->len)
			g_string_append(s, " ; ");
		g_string_append_printf(s, "%" G_GINT64_FORMAT ":%s:",
		                       rec.line, kith_csv_reason_name(rec.reason));
		if (rec.reason) {
			g_string_append_len(s, rec.raw, rec.raw_len);
			continue;
		}
		for (int i = 0; i < rec.n_fields; i++) {
			g_assert_cmpuint(strlen(rec.field[i]), ==, rec.len[i]);
			g_string_append_printf(s, i ? "/%s" : "%s", rec.field[i]);
		}
	}
	g_assert_no_error(err);
	g_assert_cmpint(rc, ==, 0);
	if (st_out)
		*st_out = *kith_csv_stats(r);
	if (sep_out)
		*sep_out = kith_csv_sep(r);
	if (hdr_out)
		*hdr_out = kith_csv_has_header(r);
	const struct kith_csv_stats *st = kith_csv_stats(r);
	g_assert_cmpint(st->lines, ==, st->header + st->comments + st->blank +
	                st->records_ok + st->records_bad);
	kith_csv_close(r);
	return g_string_free(s, FALSE);
}

static char *
render(const char *data, char sep, enum kith_csv_header h)
{
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	o.sep = sep;
	o.header = h;
	return render_opt(data, strlen(data), &o, NULL, NULL, NULL);
}

#define CHECK(data, sep, hdr, want) do { \
	char *got_ = render(data, sep, hdr); \
	g_assert_cmpstr(got_, ==, want); \
	g_free(got_); \
} while (0)

static void
test_basic(void)
{
	CHECK("a,b\n1,2\n3,4\n", ',', KITH_CSV_HEADER_YES,
	      "2:ok:1/2 ; 3:ok:3/4");
	CHECK("1,2\r\n3,4\r\n", ',', KITH_CSV_HEADER_NO, "1:ok:1/2 ; 2:ok:3/4");
	/* no final line end, mixed line ends */
	CHECK("1,2\r\n3,4\n5,6", ',', KITH_CSV_HEADER_NO,
	      "1:ok:1/2 ; 2:ok:3/4 ; 3:ok:5/6");
	/* empty fields */
	CHECK(",\n,x\n", ',', KITH_CSV_HEADER_NO, "1:ok:/ ; 2:ok:/x");
	/* blank lines are skipped and counted, line numbers exact */
	CHECK("1,2\n\n\r\n3,4\n", ',', KITH_CSV_HEADER_NO,
	      "1:ok:1/2 ; 4:ok:3/4");
	/* BOM stripped */
	CHECK("\xEF\xBB\xBFuser,item\n1,2\n", ',', KITH_CSV_HEADER_AUTO,
	      "2:ok:1/2");
}

static void
test_quotes(void)
{
	CHECK("\"a,b\",c\n", ',', KITH_CSV_HEADER_NO, "1:ok:a,b/c");
	CHECK("\"a\"\"b\",\"\"\n", ',', KITH_CSV_HEADER_NO, "1:ok:a\"b/");
	/* quoted newline: one record over two lines, next line number 3 */
	CHECK("\"a\nb\",c\nd,e\n", ',', KITH_CSV_HEADER_NO,
	      "1:ok:a\nb/c ; 3:ok:d/e");
	CHECK("\"a\r\nb\",c\r\n", ',', KITH_CSV_HEADER_NO, "1:ok:a\r\nb/c");
	/* stray quotes */
	CHECK("a\"b,c\nd,e\n", ',', KITH_CSV_HEADER_NO,
	      "1:stray_quote:a\"b,c ; 2:ok:d/e");
	CHECK("\"a\"b,c\nd,e\n", ',', KITH_CSV_HEADER_NO,
	      "1:stray_quote:\"a\"b,c ; 2:ok:d/e");
	/* unterminated quote: reject the first line, resume on the next */
	CHECK("x,y\n\"a,b\nc,d\n", ',', KITH_CSV_HEADER_NO,
	      "1:ok:x/y ; 2:unterminated_quote:\"a,b ; 3:ok:c/d");
	/* no_quotes: '"' is data */
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	o.sep = '|';
	o.header = KITH_CSV_HEADER_NO;
	o.no_quotes = TRUE;
	char *got = render_opt("a\"b|\"c\n", 7, &o, NULL, NULL, NULL);
	g_assert_cmpstr(got, ==, "1:ok:a\"b/\"c");
	g_free(got);
}

static void
test_bad(void)
{
	CHECK("1,2\n3\n4,5,6\n7,8\n", ',', KITH_CSV_HEADER_NO,
	      "1:ok:1/2 ; 2:wrong_column_count:3 ; "
	      "3:wrong_column_count:4,5,6 ; 4:ok:7/8");
	/* invalid UTF-8 */
	CHECK("1,2\n\xff\xfe,3\n\xc3\xa9,4\n", ',', KITH_CSV_HEADER_NO,
	      "1:ok:1/2 ; 2:invalid_utf8:\xff\xfe,3 ; 3:ok:\xc3\xa9/4");
	/* embedded NUL */
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	o.sep = ',';
	o.header = KITH_CSV_HEADER_NO;
	const char nul[] = "1,2\n3\0,4\n5,6\n";
	char *got = render_opt(nul, sizeof nul - 1, &o, NULL, NULL, NULL);
	g_assert_cmpstr(got, ==, "1:ok:1/2 ; 2:embedded_nul:3");
	g_free(got);
	/* line too long */
	o.max_line_bytes = 16;
	const char *lng = "1,2\n1234567890,1234567890\n5,6\n";
	struct kith_csv_stats st;
	got = render_opt(lng, strlen(lng), &o, &st, NULL, NULL);
	g_assert_cmpstr(got, ==,
	                "1:ok:1/2 ; 2:line_too_long:1234567890,1234567890 ; "
	                "3:ok:5/6");
	g_assert_cmpint(st.records_bad, ==, 1);
	g_assert_cmpint(st.records_ok, ==, 2);
	g_free(got);
	/* Latin-1 is converted, never invalid */
	o.max_line_bytes = 0;
	o.sep = '|';
	o.latin1 = TRUE;
	got = render_opt("Mis\xe9rables|1\n", 13, &o, NULL, NULL, NULL);
	g_assert_cmpstr(got, ==, "1:ok:Mis\xc3\xa9rables/1");
	g_free(got);
}

/* Long lines across the 4 MiB block boundary and a too-long line that
 * spans several blocks are handled without losing line numbers. */
static void
test_blocks(void)
{
	GString *s = g_string_new(NULL);
	int n = 400000;
	for (int i = 0; i < n; i++)
		g_string_append_printf(s, "user%d,item%d,%d\n", i, i * 7, i % 5);
	/* a 9 MiB line in the middle */
	g_string_append(s, "x,");
	for (int i = 0; i < 9 << 20; i++)
		g_string_append_c(s, 'a');
	g_string_append(s, ",1\nlast,one,2\n");
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	GError *err = NULL;
	struct kith_csv *r = kith_csv_open_memory("big", s->str, s->len, &o,
	                                          &err);
	g_assert_no_error(err);
	g_assert_cmpint(kith_csv_sep(r), ==, ',');
	g_assert_false(kith_csv_has_header(r));
	struct kith_csv_record rec;
	int64_t k = 0, off = 0;
	while (kith_csv_next(r, &rec, &err) > 0) {
		k++;
		if (k <= n) {
			g_assert_cmpint(rec.reason, ==, KITH_CSV_OK);
			g_assert_cmpint(rec.line, ==, k);
			g_assert_cmpint(rec.offset, ==, off);
			char want[64];
			int w = g_snprintf(want, sizeof want, "user%d",
			                   (int)(k - 1));
			g_assert_cmpuint(rec.len[0], ==, (size_t)w);
			g_assert_cmpstr(rec.field[0], ==, want);
			off += (int64_t)rec.raw_len + 1;
		} else if (k == n + 1) {
			g_assert_cmpint(rec.reason, ==, KITH_CSV_LINE_TOO_LONG);
			g_assert_cmpint(rec.offset, ==, off);
		} else {
			g_assert_cmpint(rec.reason, ==, KITH_CSV_OK);
			g_assert_cmpint(rec.line, ==, n + 2);
			g_assert_cmpstr(rec.field[1], ==, "one");
		}
	}
	g_assert_no_error(err);
	g_assert_cmpint(k, ==, n + 2);
	kith_csv_close(r);
	g_string_free(s, TRUE);
}

static void
test_comments_and_end(void)
{
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	o.comment = '#';
	struct kith_csv_stats st;
	const char *d = "# hello\nuser,item\n# c2\n1,2\n\n";
	char *got = render_opt(d, strlen(d), &o, &st, NULL, NULL);
	g_assert_cmpstr(got, ==, "4:ok:1/2");
	g_free(got);
	g_assert_cmpint(st.lines, ==, 5);
	g_assert_cmpint(st.comments, ==, 2);
	g_assert_cmpint(st.header, ==, 1);
	g_assert_cmpint(st.blank, ==, 1);

	GError *err = NULL;
	struct kith_csv_record rec;
	struct kith_csv *r = kith_csv_open_memory("e", "", 0, &o, &err);
	g_assert_no_error(err);
	g_assert_cmpint(kith_csv_next(r, &rec, &err), ==, 0);
	g_assert_cmpint(kith_csv_end_reason(r), ==, KITH_CSV_EMPTY_FILE);
	kith_csv_close(r);
	r = kith_csv_open_memory("h", "user,item\n", 10, &o, &err);
	g_assert_no_error(err);
	g_assert_true(kith_csv_has_header(r));
	g_assert_cmpint(kith_csv_next(r, &rec, &err), ==, 0);
	g_assert_cmpint(kith_csv_end_reason(r), ==, KITH_CSV_HEADER_ONLY);
	g_assert_cmpstr(kith_csv_header_names(r)[1], ==, "item");
	g_assert_cmpint(kith_csv_column(r, "item"), ==, 1);
	g_assert_cmpint(kith_csv_column(r, "user"), ==, 0);
	g_assert_cmpint(kith_csv_column(r, "Item"), ==, -1);
	kith_csv_close(r);
	r = kith_csv_open_memory("n", "a,b\n", 4, &(struct kith_csv_options){
	                         .sep = ',', .header = KITH_CSV_HEADER_NO },
	                         &err);
	g_assert_no_error(err);
	g_assert_cmpint(kith_csv_column(r, "a"), ==, -1);
	kith_csv_close(r);
}

static void
test_sniff(void)
{
	static const struct {
		const char *data;
		char sep;
		gboolean header;
	} cases[] = {
		{ "196\t242\t3\t881250949\n186\t302\t3\t891717742\n", '\t', FALSE },
		{ "2\t51\t13883\r\n2\t52\t11690\r\n", '\t', FALSE },
		{ "src\tdst\n0\t633\n", '\t', TRUE },
		{ "node feature value\n", ',', FALSE },
		{ "1|24|M|technician|85711\n2|53|F|other|94043\n", '|', FALSE },
		{ "a;b;c\n1;2;3\n", ';', TRUE },
		{ "u,i,when\nx,y,5\nz,w,6\n", ',', TRUE },
		{ "x,y,p\nz,w,q\n", ',', FALSE },
		{ "\"a,b\"\tc\nd\te\n", '\t', FALSE },
		{ "UserId,MovieId,Rating\n1,2,3\n", ',', TRUE },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
		char sep;
		gboolean hdr;
		char *got = render_opt(cases[i].data, strlen(cases[i].data), &o,
		                       NULL, &sep, &hdr);
		g_free(got);
		g_assert_cmpint(sep, ==, cases[i].sep);
		g_assert_cmpint(hdr, ==, cases[i].header);
	}
}

static void
test_roles(void)
{
	GError *err = NULL;
	struct kith_csv_roles ro;
	g_assert_true(kith_csv_roles_from_spec(&ro, "user,item,_,ts", 4, &err));
	g_assert_cmpint(ro.col[KITH_ROLE_USER], ==, 0);
	g_assert_cmpint(ro.col[KITH_ROLE_ITEM], ==, 1);
	g_assert_cmpint(ro.col[KITH_ROLE_TS], ==, 3);
	g_assert_cmpint(ro.col[KITH_ROLE_VALUE], ==, -1);
	g_assert_true(kith_csv_roles_from_spec(&ro, "user,item,rating", 0, &err));
	g_assert_cmpint(ro.col[KITH_ROLE_VALUE], ==, 2);
	g_assert_false(kith_csv_roles_from_spec(&ro, "user,bogus", 2, &err));
	g_assert_error(err, KITH_ERROR, KITH_ERROR_USAGE);
	g_clear_error(&err);
	g_assert_false(kith_csv_roles_from_spec(&ro, "user,user", 2, &err));
	g_clear_error(&err);
	g_assert_false(kith_csv_roles_from_spec(&ro, "user,item,ts", 2, &err));
	g_clear_error(&err);

	const char *names[] = { "customer_id", "Product_ID", "behavior",
	                        "DateTime", "price", "userId" };
	kith_csv_roles_from_header(&ro, names, 6);
	g_assert_cmpint(ro.col[KITH_ROLE_USER], ==, 0);
	g_assert_cmpint(ro.col[KITH_ROLE_ITEM], ==, 1);
	g_assert_cmpint(ro.col[KITH_ROLE_EVENT], ==, 2);
	g_assert_cmpint(ro.col[KITH_ROLE_TS], ==, 3);
	g_assert_cmpint(ro.col[KITH_ROLE_VALUE], ==, 4);
	char *d = kith_csv_roles_describe(&ro);
	g_assert_cmpstr(d, ==, "user=0,item=1,event=2,ts=3,value=4");
	g_free(d);
	g_assert_cmpint(kith_csv_role_from_name("movieId"), ==, KITH_ROLE_ITEM);
	g_assert_cmpint(kith_csv_role_from_name("artist"), ==, KITH_ROLE_ITEM);
	g_assert_cmpint(kith_csv_role_from_name("UID"), ==, KITH_ROLE_USER);
	g_assert_cmpint(kith_csv_role_from_name("zzz"), ==, KITH_ROLE_SKIP);
}

#define S(x) x, strlen(x)

static void
test_numbers(void)
{
	int64_t i;
	double d;
	float f;
	g_assert_cmpint(kith_parse_int64(S("42"), &i), ==, KITH_CSV_OK);
	g_assert_cmpint(i, ==, 42);
	g_assert_cmpint(kith_parse_int64(S(" -7 "), &i), ==, KITH_CSV_OK);
	g_assert_cmpint(i, ==, -7);
	g_assert_cmpint(kith_parse_int64(S("9223372036854775807"), &i), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(i, ==, G_MAXINT64);
	g_assert_cmpint(kith_parse_int64(S("-9223372036854775808"), &i), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(i, ==, G_MININT64);
	g_assert_cmpint(kith_parse_int64(S("9223372036854775808"), &i), ==,
	                KITH_CSV_OVERFLOW);
	g_assert_cmpint(kith_parse_int64(S("99999999999999999999999"), &i), ==,
	                KITH_CSV_OVERFLOW);
	g_assert_cmpint(kith_parse_int64(S("12a"), &i), ==, KITH_CSV_NOT_NUMBER);
	g_assert_cmpint(kith_parse_int64(S(""), &i), ==, KITH_CSV_EMPTY_FIELD);
	g_assert_cmpint(kith_parse_int64(S("-"), &i), ==, KITH_CSV_NOT_NUMBER);

	/* the fast path agrees with strtod */
	const char *reals[] = { "3", "3.5", "-0.1", "0.3", "123456.789012345",
	                        "1e3", "2.5E-3", "1234567890123456789",
	                        ".5", "5.", "+4.25" };
	for (size_t k = 0; k < G_N_ELEMENTS(reals); k++) {
		g_assert_cmpint(kith_parse_double(S(reals[k]), &d), ==,
		                KITH_CSV_OK);
		g_assert_cmpfloat(d, ==, g_ascii_strtod(reals[k], NULL));
	}
	g_assert_cmpint(kith_parse_double(S("nan"), &d), ==, KITH_CSV_NAN_INF);
	g_assert_cmpint(kith_parse_double(S("-Inf"), &d), ==, KITH_CSV_NAN_INF);
	g_assert_cmpint(kith_parse_double(S("Infinity"), &d), ==,
	                KITH_CSV_NAN_INF);
	g_assert_cmpint(kith_parse_double(S("1e999"), &d), ==, KITH_CSV_OVERFLOW);
	g_assert_cmpint(kith_parse_double(S("0x10"), &d), ==,
	                KITH_CSV_NOT_NUMBER);
	g_assert_cmpint(kith_parse_double(S("1.2.3"), &d), ==,
	                KITH_CSV_NOT_NUMBER);
	g_assert_cmpint(kith_parse_double(S("abc"), &d), ==, KITH_CSV_NOT_NUMBER);
	g_assert_cmpint(kith_parse_double(S("."), &d), ==, KITH_CSV_NOT_NUMBER);
	g_assert_cmpint(kith_parse_float(S("1e39"), &f), ==, KITH_CSV_OVERFLOW);
	g_assert_cmpint(kith_parse_float(S("2.5"), &f), ==, KITH_CSV_OK);
	g_assert_cmpfloat(f, ==, 2.5f);
}

static void
test_timestamps(void)
{
	int64_t t;
	g_assert_cmpint(kith_parse_timestamp(S("881250949"), &t), ==, KITH_CSV_OK);
	g_assert_cmpint(t, ==, 881250949);
	g_assert_cmpint(kith_parse_timestamp(S("1700000000123"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("1700000000123456"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("1700000000123456789"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("1700000000.75"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("1970-01-01"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 0);
	g_assert_cmpint(kith_parse_timestamp(S("2023-11-14T22:13:20Z"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("2023-11-14 22:13:20"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("2023-11-15T00:13:20.5+02:00"),
	                                     &t), ==, KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000);
	g_assert_cmpint(kith_parse_timestamp(S("2023-11-14T17:13-0500"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 1700000000 - 20);
	g_assert_cmpint(kith_parse_timestamp(S("2000-02-29"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, 951782400);
	g_assert_cmpint(kith_parse_timestamp(S("1969-12-31T23:59:59Z"), &t), ==,
	                KITH_CSV_OK);
	g_assert_cmpint(t, ==, -1);
	const char *bad[] = { "2023-02-29", "2023-13-01", "2023-11-14T25:00",
	                      "yesterday", "2023-11-14T10:00:00Q", "12:00",
	                      "99999999999999999999", "2023-1-1", "nan" };
	for (size_t k = 0; k < G_N_ELEMENTS(bad); k++)
		g_assert_cmpint(kith_parse_timestamp(S(bad[k]), &t), ==,
		                KITH_CSV_BAD_TIMESTAMP);
	g_assert_cmpint(kith_parse_timestamp(S(""), &t), ==,
	                KITH_CSV_EMPTY_FIELD);
}

static void
test_escape(void)
{
	GString *s = g_string_new(NULL);
	kith_csv_escape(s, "a\tb\\c\n\x01\xff", 8, 100);
	g_assert_cmpstr(s->str, ==, "a\\tb\\\\c\\n\\x01\\xff");
	g_string_truncate(s, 0);
	kith_csv_escape(s, "abcdef", 6, 3);
	g_assert_cmpstr(s->str, ==, "abc...");
	g_string_free(s, TRUE);
	for (int k = 0; k < KITH_CSV_N_REASONS; k++) {
		g_assert_nonnull(kith_csv_reason_name(k));
		g_assert_null(strchr(kith_csv_reason_name(k), ' '));
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/csv/basic", test_basic);
	g_test_add_func("/csv/quotes", test_quotes);
	g_test_add_func("/csv/bad", test_bad);
	g_test_add_func("/csv/blocks", test_blocks);
	g_test_add_func("/csv/comments-and-end", test_comments_and_end);
	g_test_add_func("/csv/sniff", test_sniff);
	g_test_add_func("/csv/roles", test_roles);
	g_test_add_func("/csv/numbers", test_numbers);
	g_test_add_func("/csv/timestamps", test_timestamps);
	g_test_add_func("/csv/escape", test_escape);
	return g_test_run();
}
