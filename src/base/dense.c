/*
 * Deterministic dense products (layer base): the Gram matrix XᵀX, the
 * cross product XᵀY, X·B, and blocks of dot-product scores.
 *
 * Why not OpenBLAS here.  OpenBLAS picks its kernels and its blockings by
 * CPU (Haswell, SkylakeX, Zen, ...) and splits work by thread count, so
 * the last bits of a GEMM or SYRK differ between machines and between
 * --threads values; a model started from such a product then trains to
 * other bytes, and a ranking can move an item across the K-th place.
 * The products below fix the order of every sum in the source code:
 *   - each output element is a sum over a fixed sequence of terms whose
 *     order depends only on the shapes (never on threads or the CPU);
 *   - vector code runs across independent output elements only (8 lanes
 *     of GCC's generic vectors, SSE2 or AVX2 by a target clone), never
 *     across a sum, and without FMA contraction (neither the default
 *     x86-64 target nor "avx2" enables FMA), so both clones give the same
 *     bits as scalar code;
 *   - reductions over rows go through a fixed number of row blocks
 *     (GRAM_BLOCKS) whose partial sums are added in block order.
 * Results are therefore the same bytes for any thread count on any
 * x86-64 CPU.  Cost: kith_dense_gram O(rows·l²), kith_dense_cross
 * O(rows·k·l), kith_dense_gemm
 * O(rows·k·n), kith_dense_scores O(nq·nj·d) (4 x 16 register blocks:
 * about 60 % of OpenBLAS's FMA sgemm here); memory GRAM_BLOCKS·l²
 * doubles for the Gram partials.
 */
#include "config.h"

#include <omp.h>
#include <string.h>

#include "kith/core.h"
#include "kith/dense.h"

#define GRAM_BLOCKS 64
#define GRAM_CHUNK 32

/* 8 float lanes; the vectors never cross a call boundary that is not
 * inlined, so the ABI note GCC gives for them does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"
typedef float v8f __attribute__((vector_size(32)));

static inline v8f
load8(const float *p)
{
	v8f v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void
store8(float *p, v8f v)
{
	memcpy(p, &v, sizeof v);
}

/* y[0..n) += a·x[0..n), lane by lane (no sum crosses lanes). */
static inline void
axpy(float *restrict y, float a, const float *restrict x, int n)
{
	int j = 0;
	v8f va = { a, a, a, a, a, a, a, a };
	for (; j + 8 <= n; j += 8)
		store8(y + j, load8(y + j) + va * load8(x + j));
	for (; j < n; j++)
		y[j] += a * x[j];
}

/* part (l x l, upper triangle) += XᵀX over rows r0 .. r1-1 of X, in
 * chunks of GRAM_CHUNK rows summed in float, chunks added in double. */
__attribute__((target_clones("avx2", "default")))
static void
gram_rows(double *part, float *acc, const float *X, int64_t r0, int64_t r1,
          int l)
{
	for (int64_t c0 = r0; c0 < r1; c0 += GRAM_CHUNK) {
		int64_t c1 = MIN(r1, c0 + GRAM_CHUNK);
		for (int i = 0; i < l; i++) {
			memset(acc + i, 0, (size_t)(l - i) * sizeof(float));
			for (int64_t r = c0; r < c1; r++) {
				const float *x = X + r * l;
				axpy(acc + i, x[i], x + i, l - i);
			}
			double *g = part + (size_t)i * l;
			for (int j = i; j < l; j++)
				g[j] += acc[j];
		}
	}
}

void
kith_dense_gram(double *G, const float *X, int64_t rows, int l,
                double *scratch)
{
	size_t ll = (size_t)l * l;
	memset(scratch, 0, GRAM_BLOCKS * ll * sizeof(double));
#pragma omp parallel
	{
		float acc[l];
#pragma omp for schedule(dynamic, 1)
		for (int b = 0; b < GRAM_BLOCKS; b++) {
			int64_t r0 = rows * b / GRAM_BLOCKS;
			int64_t r1 = rows * (b + 1) / GRAM_BLOCKS;
			gram_rows(scratch + b * ll, acc, X, r0, r1, l);
		}
	}
	/* blocks added in order; lower triangle mirrored */
	for (int i = 0; i < l; i++)
		for (int j = i; j < l; j++) {
			double s = 0;
			for (int b = 0; b < GRAM_BLOCKS; b++)
				s += scratch[b * ll + (size_t)i * l + j];
			G[(size_t)i * l + j] = G[(size_t)j * l + i] = s;
		}
}

size_t
kith_dense_gram_scratch(int l)
{
	return (size_t)GRAM_BLOCKS * l * l;
}

/* part (k x l) += XᵀY over rows r0 .. r1-1 of X (rows x k) and Y (rows x
 * l), in chunks of GRAM_CHUNK rows summed in float, chunks added in
 * double. */
__attribute__((target_clones("avx2", "default")))
static void
cross_rows(double *part, float *acc, const float *X, const float *Y,
           int64_t r0, int64_t r1, int k, int l)
{
	for (int64_t c0 = r0; c0 < r1; c0 += GRAM_CHUNK) {
		int64_t c1 = MIN(r1, c0 + GRAM_CHUNK);
		for (int i = 0; i < k; i++) {
			memset(acc, 0, (size_t)l * sizeof(float));
			for (int64_t r = c0; r < c1; r++)
				axpy(acc, X[r * k + i], Y + r * l, l);
			double *g = part + (size_t)i * l;
			for (int j = 0; j < l; j++)
				g[j] += acc[j];
		}
	}
}

void
kith_dense_cross(float *C, const float *X, const float *Y, int64_t rows,
                 int k, int l, double *scratch)
{
	size_t kl = (size_t)k * l;
	memset(scratch, 0, GRAM_BLOCKS * kl * sizeof(double));
#pragma omp parallel
	{
		float acc[l];
#pragma omp for schedule(dynamic, 1)
		for (int b = 0; b < GRAM_BLOCKS; b++) {
			int64_t r0 = rows * b / GRAM_BLOCKS;
			int64_t r1 = rows * (b + 1) / GRAM_BLOCKS;
			cross_rows(scratch + b * kl, acc, X, Y, r0, r1, k, l);
		}
	}
	/* blocks added in order */
#pragma omp parallel for schedule(static)
	for (size_t e = 0; e < kl; e++) {
		double s = 0;
		for (int b = 0; b < GRAM_BLOCKS; b++)
			s += scratch[b * kl + e];
		C[e] = (float)s;
	}
}

size_t
kith_dense_cross_scratch(int k, int l)
{
	return (size_t)GRAM_BLOCKS * k * l;
}

/* Rows r0 .. r1-1 of Y = X B (X rows x k, B k x n); in place (Y == X,
 * n <= k) through the row buffer tmp of n floats. */
__attribute__((target_clones("avx2", "default")))
static void
gemm_rows(float *Y, const float *X, const float *B, int64_t r0, int64_t r1,
          int k, int n, float *tmp)
{
	for (int64_t r = r0; r < r1; r++) {
		const float *x = X + r * k;
		memset(tmp, 0, (size_t)n * sizeof(float));
		for (int t = 0; t < k; t++)
			axpy(tmp, x[t], B + (size_t)t * n, n);
		memcpy(Y + r * n, tmp, (size_t)n * sizeof(float));
	}
}

void
kith_dense_gemm(float *Y, const float *X, int64_t rows, int k,
                const float *B, int n)
{
#pragma omp parallel
	{
		float tmp[n];
		int nt = omp_get_num_threads(), t = omp_get_thread_num();
		/* rows are independent: any split gives the same bytes */
		gemm_rows(Y, X, B, rows * t / nt, rows * (t + 1) / nt, k, n,
		          tmp);
	}
}

/* Rows r0 .. r1-1 of Y += a·(X B) (X rows x k, B k x n), X B summed in
 * the row buffer tmp of n floats. */
__attribute__((target_clones("avx2", "default")))
static void
gemm_add_rows(float *Y, float a, const float *X, const float *B, int64_t r0,
              int64_t r1, int k, int n, float *tmp)
{
	for (int64_t r = r0; r < r1; r++) {
		const float *x = X + r * k;
		memset(tmp, 0, (size_t)n * sizeof(float));
		for (int t = 0; t < k; t++)
			axpy(tmp, x[t], B + (size_t)t * n, n);
		axpy(Y + r * n, a, tmp, n);
	}
}

void
kith_dense_gemm_add(float *Y, float a, const float *X, int64_t rows, int k,
                    const float *B, int n)
{
#pragma omp parallel
	{
		float tmp[n];
		int nt = omp_get_num_threads(), t = omp_get_thread_num();
		gemm_add_rows(Y, a, X, B, rows * t / nt, rows * (t + 1) / nt, k,
		              n, tmp);
	}
}

#define SCORE_TILE 512

/* S[0..4)[0..16) from 4 rows of Q and 16 columns of Vt: 8 accumulators
 * in registers, each a sum over t in order (as axpy would add them). */
static inline void
scores_4x16(float *S, int64_t lds, const float *Q, int d, const float *Vt,
            int64_t ldv)
{
	v8f a00 = { 0 }, a01 = { 0 }, a10 = { 0 }, a11 = { 0 };
	v8f a20 = { 0 }, a21 = { 0 }, a30 = { 0 }, a31 = { 0 };
	for (int t = 0; t < d; t++) {
		v8f v0 = load8(Vt + t * ldv), v1 = load8(Vt + t * ldv + 8);
		float q0 = Q[t], q1 = Q[d + t], q2 = Q[2 * d + t];
		float q3 = Q[3 * d + t];
		a00 += q0 * v0;
		a01 += q0 * v1;
		a10 += q1 * v0;
		a11 += q1 * v1;
		a20 += q2 * v0;
		a21 += q2 * v1;
		a30 += q3 * v0;
		a31 += q3 * v1;
	}
	store8(S, a00);
	store8(S + 8, a01);
	store8(S + lds, a10);
	store8(S + lds + 8, a11);
	store8(S + 2 * lds, a20);
	store8(S + 2 * lds + 8, a21);
	store8(S + 3 * lds, a30);
	store8(S + 3 * lds + 8, a31);
}

/* kith_dense_scores() itself; static, since clang links an exported
 * target_clones function only through its resolver */
__attribute__((target_clones("avx2", "default")))
static void
scores(float *S, int64_t lds, const float *Q, int64_t nq, int d,
       const float *Vt, int64_t ldv, int64_t nj)
{
	/* a tile of Vt (d x SCORE_TILE) stays in cache for all nq rows;
	 * 4 x 16 blocks in registers, the edges by axpy: both add the same
	 * products in the same order, so the bits do not depend on where a
	 * score falls */
	for (int64_t j0 = 0; j0 < nj; j0 += SCORE_TILE) {
		int w = (int)MIN(SCORE_TILE, nj - j0);
		int w16 = w & ~15;
		int64_t r = 0;
		for (; r + 4 <= nq; r += 4)
			for (int j = 0; j < w16; j += 16)
				scores_4x16(S + r * lds + j0 + j, lds,
				            Q + r * d, d, Vt + j0 + j, ldv);
		for (int64_t r2 = 0; r2 < nq; r2++) {
			/* rows past the last group of 4: the whole tile;
			 * others: the columns past the last 16 */
			int c0 = r2 < r ? w16 : 0;
			if (c0 == w)
				continue;
			float *y = S + r2 * lds + j0 + c0;
			const float *q = Q + r2 * d;
			memset(y, 0, (size_t)(w - c0) * sizeof(float));
			for (int t = 0; t < d; t++)
				axpy(y, q[t], Vt + t * ldv + j0 + c0, w - c0);
		}
	}
}

void
kith_dense_scores(float *S, int64_t lds, const float *Q, int64_t nq, int d,
                  const float *Vt, int64_t ldv, int64_t nj)
{
	scores(S, lds, Q, nq, d, Vt, ldv, nj);
}
