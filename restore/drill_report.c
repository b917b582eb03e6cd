/* cairn-restore drill: the report a person reads, in Markdown, or in HTML
 * when the file name ends in ".html": the hypothesis, the experiment, the
 * measured answer, the verdict, and the site's recovery-time history as a
 * chart (text bars in Markdown, inline SVG in HTML). Written atomically,
 * mode 0644. */
#include "drill.h"

#include "job_report.h"

#include "cairn/err.h"
#include "cairn/file.h"
#include "cairn/timeutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ROWS_MAX 16
#define BAR_WIDTH 40     /* characters of the longest bar in Markdown */
#define SVG_BAR_WIDTH 420 /* pixels of the longest bar in HTML */

/* One line of the table of measures. */
struct row {
	const char *label;
	char value[128];
};

static size_t add_row(struct row *rows, size_t n, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t add_row(struct row *rows, size_t n, const char *label, const char *fmt, ...)
{
	va_list ap;

	if (n >= ROWS_MAX)
		return n;
	rows[n].label = label;
	va_start(ap, fmt);
	vsnprintf(rows[n].value, sizeof(rows[n].value), fmt, ap);
	va_end(ap);
	return n + 1;
}

/* The measured answer, for both formats. */
static size_t measures(const struct drill *d, struct row *rows)
{
	char a[32], b[32], c[32];
	double secs = (double)d->restore_ns / 1e9;
	size_t n = 0;

	cairn_drill_format_span(d->recovery_ns, a, sizeof(a));
	n = add_row(rows, n, "recovery time (RTO achieved)", "%s", a);
	cairn_drill_format_span(d->sync_ns, a, sizeof(a));
	cairn_drill_format_span(d->restore_ns, b, sizeof(b));
	n = add_row(rows, n, "of which: catalog rebuilt from the site", "%s", a);
	n = add_row(rows, n, "of which: restore", "%s", b);
	cairn_drill_format_span(d->first_byte_ns, a, sizeof(a));
	n = add_row(rows, n, "time to first byte", "%s", a);
	if (d->loss_window_ns >= 0) {
		cairn_duration_format(d->loss_window_ns, a, sizeof(a));
		n = add_row(rows, n, "data-loss window", "%s", a);
	}
	if (d->restored) {
		cli_format_bytes(d->rst.bytes, a, sizeof(a));
		n = add_row(rows, n, "files restored", "%llu", (unsigned long long)d->rst.files);
		n = add_row(rows, n, "bytes restored", "%s (%llu bytes)", a, (unsigned long long)d->rst.bytes);
		n = add_row(rows, n, "throughput", "%.1f MiB/s", secs > 0 ? (double)d->rst.bytes / 1048576.0 / secs : 0.0);
		n = add_row(rows, n, "store requests, retries", "%llu, %llu", (unsigned long long)d->store.requests,
			    (unsigned long long)d->store.retries);
	}
	if (d->verified) {
		cairn_drill_format_span(d->verify_ns, c, sizeof(c));
		n = add_row(rows, n, "files whose content was verified", "%llu of %llu (sample %g%%, seed %llu)",
			    (unsigned long long)d->vst.files_verified, (unsigned long long)d->vst.files, d->a.sample,
			    (unsigned long long)d->a.seed);
		n = add_row(rows, n, "entries whose metadata was verified", "%llu", (unsigned long long)d->vst.entries);
		n = add_row(rows, n, "verification time (not part of the RTO)", "%s", c);
	}
	n = add_row(rows, n, "entries that differ or are missing", "%llu", (unsigned long long)cairn_drill_failed_files(&d->f));
	n = add_row(rows, n, "damaged objects", "%zu", d->f.ndamaged + d->f.nsync_damage);
	return n;
}

/* The experiment, in sentences (plain text: both formats escape it). */
static size_t experiment(const struct drill *d, char lines[][512])
{
	char t[CAIRN_TIME_STR], w[32];
	size_t n = 0;

	snprintf(lines[n++], 512, "Started from nothing but the site and the key: a fresh, temporary catalog rebuilt "
		 "from the site, which holds %zu recovery point%s.", d->npoints, d->npoints == 1 ? "" : "s");
	if (d->have_point) {
		cairn_time_format(d->snap.time_ns, 0, t);
		cairn_duration_format(d->a.within_ns, w, sizeof(w));
		if (d->a.random_point)
			snprintf(lines[n++], 512, "Recovery point: snapshot %s taken %s on %s, drawn at random from the %zu "
				 "point%s of the last %s (seed %llu).", d->snap.id, t, d->snap.host, d->candidates,
				 d->candidates == 1 ? "" : "s", w, (unsigned long long)d->a.seed);
		else
			snprintf(lines[n++], 512, "Recovery point: snapshot %s taken %s on %s, the newest at or before the "
				 "requested time.", d->snap.id, t, d->snap.host);
	}
	if (d->restored)
		snprintf(lines[n++], 512, "Restored the whole snapshot into a scratch directory (%s).",
			 d->scratch_kept ? "kept" : "removed afterwards");
	if (d->verified)
		snprintf(lines[n++], 512, "Verified the metadata of every entry and the content of %g%% of the files "
			 "(seed %llu): each file cut again with the repository's chunker, its blob ids compared with "
			 "the snapshot's, without downloading anything again.", d->a.sample,
			 (unsigned long long)d->a.seed);
	return n;
}

/* ---- Markdown ---- */

static void md_list(FILE *f, const char *title, const struct cairn_drill_list *l)
{
	if (l->total == 0)
		return;
	fprintf(f, "\n## %s\n\n", title);
	for (size_t i = 0; i < l->n; i++) {
		fputs("- ", f);
		drill_put_code(f, l->items[i].path);
		fprintf(f, ": %s\n", l->items[i].msg);
	}
	if (l->total > l->n)
		fprintf(f, "- ... and %llu more\n", (unsigned long long)(l->total - l->n));
}

static void md_damage(FILE *f, const struct drill *d)
{
	if (d->f.ndamaged == 0 && d->f.nsync_damage == 0)
		return;
	fputs("\n## Damage\n\n", f);
	for (size_t i = 0; i < d->f.ndamaged; i++) {
		const struct cairn_drill_damaged *g = &d->f.damaged[i];

		fputs("- ", f);
		if (g->object != NULL) {
			fputs("object ", f);
			drill_put_code(f, g->object);
		} else {
			fputs("data without a known object", f);
		}
		fprintf(f, ": %llu file%s not restored\n", (unsigned long long)g->files_total, g->files_total == 1 ? "" : "s");
		for (size_t k = 0; k < g->nfiles; k++) {
			fputs("  - ", f);
			drill_put_code(f, g->files[k]);
			fputc('\n', f);
		}
		if (g->files_total > g->nfiles)
			fprintf(f, "  - ... and %llu more\n", (unsigned long long)(g->files_total - g->nfiles));
	}
	for (size_t i = 0; i < d->f.nsync_damage; i++)
		fprintf(f, "- %s\n", d->f.sync_damage[i]);
}

static void chart_label(const struct cairn_drill_past *p, char *out, size_t len)
{
	char t[CAIRN_TIME_STR];

	cairn_time_format(p->time_ns, 0, t);
	snprintf(out, len, "%.10s %.5sZ", t, t + 11);
}

static int64_t chart_max(const struct drill *d, const struct cairn_drill_past *past, size_t n)
{
	int64_t max = d->a.rto_ns > 0 ? d->a.rto_ns : 1;

	for (size_t i = 0; i < n; i++)
		if (past[i].recovery_ns > max)
			max = past[i].recovery_ns;
	return max;
}

static void md_chart(FILE *f, const struct drill *d, const struct cairn_drill_past *past, size_t n)
{
	int64_t max = chart_max(d, past, n);
	char label[32], span[32];

	fputs("\n## Recovery-time history of site ", f);
	drill_put_code(f, d->site);
	fprintf(f, "\n\nThe last %zu drill%s, oldest first; each bar is the recovery time achieved.\n\n```\n", n,
		n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		int len = past[i].recovery_ns > 0 ? 1 + (int)((double)past[i].recovery_ns / (double)max * (BAR_WIDTH - 1))
						  : 0;

		chart_label(&past[i], label, sizeof(label));
		cairn_drill_format_span(past[i].recovery_ns, span, sizeof(span));
		fprintf(f, "%s  ", label);
		for (int k = 0; k < BAR_WIDTH; k++)
			fputs(k < len ? "\u2588" : " ", f);
		fprintf(f, "  %10s  %s\n", past[i].recovery_ns >= 0 ? span : "no recovery", past[i].pass ? "pass" : "FAIL");
	}
	if (d->a.rto_ns > 0) {
		/* under the last character of a bar as long as the RTO */
		int pos = (int)((double)d->a.rto_ns / (double)max * (BAR_WIDTH - 1));

		cairn_drill_format_span(d->a.rto_ns, span, sizeof(span));
		fprintf(f, "%-17s  %*s^ RTO %s\n", "", pos, "", span);
	}
	fputs("```\n", f);
}

static void md_report(FILE *f, const struct drill *d, const struct cairn_drill_past *past, size_t npast)
{
	struct row rows[ROWS_MAX];
	char lines[4][512], hyp[1024], when[CAIRN_TIME_STR];
	size_t nrows = measures(d, rows), nlines = experiment(d, lines);

	cairn_time_format(d->start_ns, 0, when);
	drill_hypothesis(d, hyp, sizeof(hyp));
	fputs("# Disaster-recovery drill of site ", f);
	drill_put_code(f, d->site);
	fprintf(f, ": %s\n\n%s, from ", d->pass ? "PASS" : "FAIL", when);
	drill_put_code(f, d->url);
	fprintf(f, ".\n\n## Hypothesis\n\nWe can %s.\n\n## Experiment\n\n", hyp);
	for (size_t i = 0; i < nlines; i++)
		fprintf(f, "- %s\n", lines[i]);
	fputs("\n## Measured\n\n| measure | value |\n| --- | --- |\n", f);
	for (size_t i = 0; i < nrows; i++)
		fprintf(f, "| %s | %s |\n", rows[i].label, rows[i].value);
	md_damage(f, d);
	md_list(f, "Differences found by the verification", &d->f.failures);
	md_list(f, "Entries the restore could not create or set up", &d->f.errors);
	fprintf(f, "\n## Verdict\n\n**%s** (exit code %d)%s\n", d->pass ? "PASS" : "FAIL", d->exit_code,
		d->pass ? ": the hypothesis holds." : ":");
	if (d->nreasons > 0)
		fputc('\n', f);
	for (size_t i = 0; i < d->nreasons; i++)
		fprintf(f, "- %s\n", d->reasons[i]);
	md_chart(f, d, past, npast);
}

/* ---- HTML ---- */

static void html_list(FILE *f, const char *title, const struct cairn_drill_list *l)
{
	if (l->total == 0)
		return;
	fprintf(f, "<h2>%s</h2>\n<ul>\n", title);
	for (size_t i = 0; i < l->n; i++) {
		fputs("<li><code>", f);
		drill_put_html(f, l->items[i].path);
		fputs("</code>: ", f);
		drill_put_html(f, l->items[i].msg);
		fputs("</li>\n", f);
	}
	if (l->total > l->n)
		fprintf(f, "<li>... and %llu more</li>\n", (unsigned long long)(l->total - l->n));
	fputs("</ul>\n", f);
}

static void html_damage(FILE *f, const struct drill *d)
{
	if (d->f.ndamaged == 0 && d->f.nsync_damage == 0)
		return;
	fputs("<h2>Damage</h2>\n<ul>\n", f);
	for (size_t i = 0; i < d->f.ndamaged; i++) {
		const struct cairn_drill_damaged *g = &d->f.damaged[i];

		fputs("<li>", f);
		if (g->object != NULL) {
			fputs("object <code>", f);
			drill_put_html(f, g->object);
			fputs("</code>", f);
		} else {
			fputs("data without a known object", f);
		}
		fprintf(f, ": %llu file%s not restored<ul>\n", (unsigned long long)g->files_total,
			g->files_total == 1 ? "" : "s");
		for (size_t k = 0; k < g->nfiles; k++) {
			fputs("<li><code>", f);
			drill_put_html(f, g->files[k]);
			fputs("</code></li>\n", f);
		}
		fputs("</ul></li>\n", f);
	}
	for (size_t i = 0; i < d->f.nsync_damage; i++) {
		fputs("<li>", f);
		drill_put_html(f, d->f.sync_damage[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void html_chart(FILE *f, const struct drill *d, const struct cairn_drill_past *past, size_t n)
{
	int64_t max = chart_max(d, past, n);
	int height = (int)n * 24 + 30;
	char label[32], span[32];

	fputs("<h2>Recovery-time history of site <code>", f);
	drill_put_html(f, d->site);
	fprintf(f, "</code></h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"700\" height=\"%d\" "
		"font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"recovery time of the last %zu "
		"drills\">\n", height, n);
	for (size_t i = 0; i < n; i++) {
		int w = past[i].recovery_ns > 0 ? 2 + (int)((double)past[i].recovery_ns / (double)max * (SVG_BAR_WIDTH - 2))
						: 0;
		int y = (int)i * 24 + 4;

		chart_label(&past[i], label, sizeof(label));
		cairn_drill_format_span(past[i].recovery_ns, span, sizeof(span));
		fprintf(f, "<text x=\"0\" y=\"%d\">%s</text>\n", y + 14, label);
		fprintf(f, "<rect x=\"130\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"%s\"/>\n", y, w,
			past[i].pass ? "#3a7d44" : "#b3261e");
		fprintf(f, "<text x=\"%d\" y=\"%d\">%s %s</text>\n", 136 + w, y + 14,
			past[i].recovery_ns >= 0 ? span : "no recovery", past[i].pass ? "pass" : "FAIL");
	}
	if (d->a.rto_ns > 0) {
		int x = 132 + (int)((double)d->a.rto_ns / (double)max * (SVG_BAR_WIDTH - 2));

		cairn_drill_format_span(d->a.rto_ns, span, sizeof(span));
		fprintf(f, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" stroke=\"#444\" stroke-dasharray=\"4 3\"/>\n", x, x,
			height - 14);
		fprintf(f, "<text x=\"%d\" y=\"%d\">RTO %s</text>\n", x - 20, height - 2, span);
	}
	fputs("</svg>\n", f);
}

static void html_report(FILE *f, const struct drill *d, const struct cairn_drill_past *past, size_t npast)
{
	struct row rows[ROWS_MAX];
	char lines[4][512], hyp[1024], when[CAIRN_TIME_STR];
	size_t nrows = measures(d, rows), nlines = experiment(d, lines);

	cairn_time_format(d->start_ns, 0, when);
	drill_hypothesis(d, hyp, sizeof(hyp));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Drill of ", f);
	drill_put_html(f, d->site);
	fprintf(f, ": %s</title></head>\n<body>\n<h1>Disaster-recovery drill of site <code>", d->pass ? "PASS" : "FAIL");
	drill_put_html(f, d->site);
	fprintf(f, "</code>: %s</h1>\n<p>%s, from <code>", d->pass ? "PASS" : "FAIL", when);
	drill_put_html(f, d->url);
	fputs("</code>.</p>\n<h2>Hypothesis</h2>\n<p>We can ", f);
	drill_put_html(f, hyp);
	fputs(".</p>\n<h2>Experiment</h2>\n<ul>\n", f);
	for (size_t i = 0; i < nlines; i++) {
		fputs("<li>", f);
		drill_put_html(f, lines[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n<h2>Measured</h2>\n<table>\n", f);
	for (size_t i = 0; i < nrows; i++) {
		fprintf(f, "<tr><th align=\"left\">%s</th><td>", rows[i].label);
		drill_put_html(f, rows[i].value);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	html_damage(f, d);
	html_list(f, "Differences found by the verification", &d->f.failures);
	html_list(f, "Entries the restore could not create or set up", &d->f.errors);
	fprintf(f, "<h2>Verdict</h2>\n<p><strong>%s</strong> (exit code %d)%s</p>\n<ul>\n", d->pass ? "PASS" : "FAIL",
		d->exit_code, d->pass ? ": the hypothesis holds." : ":");
	for (size_t i = 0; i < d->nreasons; i++) {
		fputs("<li>", f);
		drill_put_html(f, d->reasons[i]);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
	html_chart(f, d, past, npast);
	fputs("</body></html>\n", f);
}

static int is_html(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcmp(path + n - 5, ".html") == 0;
}

void drill_report_write(const struct drill *d)
{
	struct cairn_drill_past past[CAIRN_DRILL_CHART_MAX];
	char *state = drill_state_dir(d), *text = NULL;
	size_t npast = state != NULL ? cairn_drill_history_last(state, d->site_file, past, CAIRN_DRILL_CHART_MAX) : 0,
	       len = 0;
	FILE *f;

	free(state);
	f = open_memstream(&text, &len);

	if (f == NULL) {
		cli_warn(d->o.ctx, "cannot write the report '%s': out of memory", d->a.report);
		return;
	}
	if (is_html(d->a.report))
		html_report(f, d, past, npast);
	else
		md_report(f, d, past, npast);
	if (fclose(f) != 0 || text == NULL)
		cli_warn(d->o.ctx, "cannot write the report '%s': out of memory", d->a.report);
	else if (cairn_file_write_atomic(d->a.report, text, len, 0644) < 0)
		cli_warn(d->o.ctx, "cannot write the report: %s", cairn_err_msg());
	free(text);
}
