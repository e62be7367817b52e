/* Fuzz target: the CSV/TSV reader and the number/timestamp parsers over
 * arbitrary bytes.  The first byte picks options (separator sniffing or a
 * fixed one, header mode, comments, quoting, Latin-1, tiny line limit). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "kith/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char seps[] = { 0, ',', '\t', '|', ';' };
	struct kith_csv_options o = KITH_CSV_OPTIONS_INIT;
	struct kith_csv_record rec;
	struct kith_csv *r;
	GError *err = NULL;
	uint8_t flags;
	int rc, i;

	if (size < 1)
		return 0;
	flags = data[0];
	o.sep = seps[flags % 5];
	o.header = (enum kith_csv_header)((flags >> 3) % 3);
	o.comment = (flags & 0x20) ? '#' : 0;
	o.latin1 = (flags & 0x40) != 0;
	o.no_quotes = (flags & 0x80) != 0;
	if ((flags & 0x7) == 7)
		o.max_line_bytes = 16;
	r = kith_csv_open_memory("fuzz", data + 1, size - 1, &o, &err);
	if (r == NULL) {
		g_clear_error(&err);
		return 0;
	}
	while ((rc = kith_csv_next(r, &rec, &err)) > 0) {
		if (rec.reason != KITH_CSV_OK)
			continue;
		for (i = 0; i < rec.n_fields; i++) {
			int64_t v;
			double d;
			(void)kith_parse_int64(rec.field[i], rec.len[i], &v);
			(void)kith_parse_double(rec.field[i], rec.len[i], &d);
			(void)kith_parse_timestamp(rec.field[i], rec.len[i], &v);
		}
	}
	g_clear_error(&err);
	(void)kith_csv_end_reason(r);
	kith_csv_close(r);
	return 0;
}
