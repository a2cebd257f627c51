// Float64 Cholesky and triangular solves for the small dense solvers (src/dense64.ts calls
// these for large n; its TypeScript loops are the plain reference). Row-major, densely packed.
#pragma once
#include <cstdint>

namespace trimnet {

// A = L Lᵀ in place (n×n; L in the lower triangle, the upper triangle zeroed). Returns −1, or
// the first column j whose pivot s = a_jj − Σ_p l_jp² is not > min_pivot·max_i |a_ii| (or not
// > 0), with *pivot = s; A is then partly overwritten.
int64_t cholesky64(double* a, int64_t n, double min_pivot, double* pivot);

// X (n×k) ← L⁻¹ X, or L⁻ᵀ X when transposed (L lower triangular n×n, nonzero diagonal).
void solve_lower64(const double* l, int64_t n, double* x, int64_t k, bool transposed);

}  // namespace trimnet
