/* A unified line diff (app/linediff.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app/linediff.h"

/* ------------------------------------------------------------------ */
/* The diff                                                             */
/* ------------------------------------------------------------------ */

typedef struct lines {
    const char **p;
    size_t *n;
    size_t count;
} lines_t;

static int split_lines(const char *t, size_t len, lines_t *l)
{
    size_t count = 0;
    for (size_t k = 0; k < len; k++)
        if (t[k] == '\n')
            count++;
    if (len && t[len - 1] != '\n')
        count++;
    l->p = malloc((count + 1) * sizeof *l->p);
    l->n = malloc((count + 1) * sizeof *l->n);
    l->count = 0;
    if (!l->p || !l->n)
        return -1;
    size_t start = 0;
    for (size_t k = 0; k <= len; k++) {
        if (k == len || t[k] == '\n') {
            if (k == len && start == len)
                break;
            l->p[l->count] = t + start;
            l->n[l->count] = k - start;
            l->count++;
            start = k + 1;
        }
    }
    return 0;
}

static int line_eq(const lines_t *a, size_t i, const lines_t *b, size_t j)
{
    return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

enum { OP_EQ, OP_DEL, OP_INS };
typedef struct op {
    uint8_t type;
    size_t a, b;     /* line indexes (0-based): the line, or where it goes */
} op_t;

#define DIFF_MAX_D 2000

/* Myers' O(ND) diff of a[lo_a, hi_a) and b[lo_b, hi_b), appending the
 * edit script to ops; beyond DIFF_MAX_D edits it gives up and replaces the
 * whole range (still a correct diff, only not a minimal one). */
static size_t myers(const lines_t *a, size_t lo_a, size_t hi_a, const lines_t *b, size_t lo_b, size_t hi_b,
                    op_t *ops, size_t nops)
{
    long N = (long)(hi_a - lo_a), M = (long)(hi_b - lo_b);
    long maxd = N + M < DIFF_MAX_D ? N + M : DIFF_MAX_D;
    long *v = calloc((size_t)(2 * maxd + 3), sizeof *v);
    long *trace = calloc((size_t)((maxd + 1) * (maxd + 1)), sizeof *trace);
    long D = -1;
    if (v && trace) {
        long off = maxd + 1;
        for (long d = 0; d <= maxd && D < 0; d++) {
            for (long k = -d; k <= d; k += 2) {
                long x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1]
                                                                                  : v[off + k - 1] + 1;
                long y = x - k;
                while (x < N && y < M && line_eq(a, lo_a + (size_t)x, b, lo_b + (size_t)y))
                    x++, y++;
                v[off + k] = x;
                if (x >= N && y >= M && D < 0)
                    D = d;
            }
            for (long k = -d; k <= d; k++)
                trace[d * d + (k + d)] = v[off + k];
        }
    }
    size_t start = nops;
    if (D < 0) {
        /* too different: all of a out, all of b in */
        for (long i = 0; i < N; i++)
            ops[nops++] = (op_t){ OP_DEL, lo_a + (size_t)i, lo_b };
        for (long j = 0; j < M; j++)
            ops[nops++] = (op_t){ OP_INS, hi_a, lo_b + (size_t)j };
    } else {
        long x = N, y = M;
        for (long d = D; d > 0; d--) {
            const long *vp = trace + (d - 1) * (d - 1);   /* round d-1: k in [-(d-1), d-1] */
            long k = x - y;
            long pk = (k == -d || (k != d && vp[k - 1 + (d - 1)] < vp[k + 1 + (d - 1)])) ? k + 1 : k - 1;
            long px = vp[pk + (d - 1)], py = px - pk;
            while (x > px && y > py) {
                x--, y--;
                ops[nops++] = (op_t){ OP_EQ, lo_a + (size_t)x, lo_b + (size_t)y };
            }
            if (pk == k + 1) {
                y--;
                ops[nops++] = (op_t){ OP_INS, lo_a + (size_t)x, lo_b + (size_t)y };
            } else {
                x--;
                ops[nops++] = (op_t){ OP_DEL, lo_a + (size_t)x, lo_b + (size_t)y };
            }
        }
        while (x > 0 && y > 0) {
            x--, y--;
            ops[nops++] = (op_t){ OP_EQ, lo_a + (size_t)x, lo_b + (size_t)y };
        }
        for (size_t i = start, j = nops - 1; i < j; i++, j--) {
            op_t t = ops[i];
            ops[i] = ops[j];
            ops[j] = t;
        }
    }
    free(v);
    free(trace);
    return nops;
}

#define DIFF_CONTEXT 3
#define DIFF_MAX_PRINTED 300

static void put_line(FILE *out, char mark, const lines_t *l, size_t i)
{
    fprintf(out, "%c%.*s\n", mark, (int)l->n[i], l->p[i]);
}

size_t line_diff(const char *at, size_t alen, const char *a_name, const char *bt, size_t blen,
                     const char *b_name, void *vout)
{
    FILE *out = vout;
    if (alen == blen && memcmp(at, bt, alen) == 0)
        return 0;
    lines_t a = { 0 }, b = { 0 };
    size_t first = 0;
    op_t *ops = NULL;
    if (split_lines(at, alen, &a) || split_lines(bt, blen, &b) ||
        !(ops = malloc((a.count + b.count + 1) * sizeof *ops))) {
        fprintf(out, "(out of memory for the diff)\n");
        first = 1;
        goto done;
    }
    size_t pre = 0, suf = 0, nops = 0;
    while (pre < a.count && pre < b.count && line_eq(&a, pre, &b, pre))
        pre++;
    while (suf < a.count - pre && suf < b.count - pre &&
           line_eq(&a, a.count - 1 - suf, &b, b.count - 1 - suf))
        suf++;
    for (size_t i = 0; i < pre; i++)
        ops[nops++] = (op_t){ OP_EQ, i, i };
    nops = myers(&a, pre, a.count - suf, &b, pre, b.count - suf, ops, nops);
    for (size_t i = 0; i < suf; i++)
        ops[nops++] = (op_t){ OP_EQ, a.count - suf + i, b.count - suf + i };

    size_t firstop = nops;
    for (size_t i = 0; i < nops && firstop == nops; i++)
        if (ops[i].type != OP_EQ)
            firstop = i;
    if (firstop == nops) {
        /* the same lines: only the final newline differs */
        fprintf(out, "first difference at the end: one of the files does not end in a newline\n");
        first = a.count ? a.count : 1;
        goto done;
    }
    first = ops[firstop].a + 1;
    fprintf(out, "first difference at line %zu of %s:\n", first, a_name);
    {
        const op_t *o = &ops[firstop];
        size_t ai = o->a, bi = o->b;
        fprintf(out, "  expected: %.*s\n", ai < a.count ? (int)a.n[ai] : 13, ai < a.count ? a.p[ai] : "(end of file)");
        fprintf(out, "  got:      %.*s\n", bi < b.count ? (int)b.n[bi] : 13, bi < b.count ? b.p[bi] : "(end of file)");
    }
    fprintf(out, "--- %s\n+++ %s\n", a_name, b_name);
    size_t printed = 0, i = 0, last_end = 0;
    while (i < nops) {
        if (ops[i].type == OP_EQ) {
            i++;
            continue;
        }
        size_t hs = i >= DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
        if (hs < last_end)
            hs = last_end;
        size_t j = i, he;
        for (;;) {
            while (j < nops && ops[j].type != OP_EQ)
                j++;
            size_t r = 0;
            while (j + r < nops && ops[j + r].type == OP_EQ)
                r++;
            if (j + r == nops || r > 2 * DIFF_CONTEXT) {
                he = j + (r < DIFF_CONTEXT ? r : DIFF_CONTEXT);
                break;
            }
            j += r;
        }
        size_t na = 0, nb = 0, a0 = ops[hs].a, b0 = ops[hs].b;
        for (size_t k = hs; k < he; k++) {
            if (ops[k].type != OP_INS)
                na++;
            if (ops[k].type != OP_DEL)
                nb++;
        }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? a0 + 1 : a0, na, nb ? b0 + 1 : b0, nb);
        for (size_t k = hs; k < he; k++) {
            if (printed++ == DIFF_MAX_PRINTED) {
                fprintf(out, "... (the diff goes on: cut at %d lines)\n", DIFF_MAX_PRINTED);
                goto done;
            }
            if (ops[k].type == OP_EQ)
                put_line(out, ' ', &a, ops[k].a);
            else if (ops[k].type == OP_DEL)
                put_line(out, '-', &a, ops[k].a);
            else
                put_line(out, '+', &b, ops[k].b);
        }
        last_end = he;
        i = he;
    }
done:
    free(ops);
    free(a.p);
    free(a.n);
    free(b.p);
    free(b.n);
    return first ? first : 1;
}

