/* A scenario's run cut in two (app/scenario_cut.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app/args.h"
#include "app/scenario_cut.h"
#include "app/scenario_view.h"
#include "host/migrate.h"

/* One part: the run `o` with its own text view into a string (the graph's
 * sink, when the scenario has one, only on the reference run). */
static int run_part(const scenario_t *s, const session_opts_t *o, int with_graph, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    scenario_view_t *v = f ? scenario_view_new(f, 0, s) : NULL;
    if (!v) {
        if (f)
            fclose(f);
        errorf("out of memory");
        return EXIT_USAGE;
    }
    trace_sink_t sinks[2] = { scenario_view_sink(v), o->nextra_sinks > 1 ? o->extra_sinks[1] : sinks[0] };
    session_opts_t p = *o;
    p.extra_sinks = sinks;
    p.nextra_sinks = with_graph && o->nextra_sinks > 1 ? 2 : 1;
    p.summary_out = f;
    p.quiet = 1;   /* the summaries of parts are not the whole run's */
    int st = session_run(&p);
    scenario_view_free(v);
    fclose(f);
    return st;
}

int scenario_run_cut(const scenario_t *s, const session_opts_t *o, FILE *out)
{
    if (o->nvms > 1) {
        errorf("scenario %s: snapshot_at and migrate_at take runs of one VM", s->name);
        return EXIT_USAGE;
    }
    char *ref = NULL, *one = NULL, *two = NULL;
    size_t nref = 0, none = 0, ntwo = 0;
    int st = run_part(s, o, 1, &ref, &nref);
    session_opts_t a = *o, b = *o;
    char path[] = "/tmp/trapsim-snapshot-XXXXXX";
    int fd = -1;
    snap_target_t dest = { 0 };
    migrate_local_t local;
    migrate_link_t link;
    migrate_opts_t mo;
    char *report = NULL;
    size_t nreport = 0;
    FILE *rep = NULL;
    if (s->snapshot_at) {
        if ((fd = mkstemp(path)) < 0) {
            errorf("%s: %s", path, strerror(errno));
            st = EXIT_USAGE;
            goto out;
        }
        a.snapshot_file = path;
        a.snapshot_at = s->snapshot_at;
        b.resume_file = path;
    } else {
        migrate_defaults(&mo);
        mo.addr = "the destination";
        mo.at = s->migrate_at;
        if (s->migrate_dirty)
            mo.max_dirty = (uint32_t)s->migrate_dirty;
        if (s->migrate_rounds)
            mo.max_rounds = (unsigned)s->migrate_rounds;
        mo.report = rep = open_memstream(&report, &nreport);
        migrate_link_local(&link, &local, &dest);
        mo.link = &link;
        a.migrate = &mo;
    }
    int st1 = run_part(s, &a, 0, &one, &none);
    if (rep)
        fclose(rep);
    if (st1 != EXIT_OK || (s->migrate_at && local.dest.state != 2)) {
        st = st1;   /* the guest ended before the cut, or the migration failed: one part only */
        fprintf(out, "%s%s", one ? one : "", report ? report : "");
        goto out;
    }
    if (s->migrate_at)
        b.resume_host = dest.host;
    dest.host = NULL;   /* the second part's run owns it */
    st = run_part(s, &b, 0, &two, &ntwo);
    fputs(one, out);
    if (s->snapshot_at)
        fprintf(out, "== snapshot after step %llu; trapsim resume goes on from it:\n",
                (unsigned long long)s->snapshot_at);
    else
        fprintf(out, "== live migration from step %llu:\n%s== the destination goes on:\n",
                (unsigned long long)s->migrate_at, report);
    fputs(two, out);
    int same = none + ntwo == nref && memcmp(one, ref, none) == 0 && memcmp(two, ref + none, ntwo) == 0;
    fprintf(out, "== the two parts together are the uninterrupted run, line for line: %s\n", same ? "yes" : "NO");
out:
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    host_free(dest.host);
    free(ref);
    free(one);
    free(two);
    free(report);
    return st;
}
