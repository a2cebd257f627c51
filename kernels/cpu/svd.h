// CPU SVD of a dense float32 matrix (row-major). See svd/driver.cpp for the math (one file per stage in svd/).
//
//   A[m×n] = U diag(S) Vᵀ,  p = min(m, n),  S[p] descending and >= 0.
//   thin (full == false): U is m×p, V is n×p.   full: U is m×m, V is n×n.
//   The columns of U beyond p (full mode) and those for zero singular values are an
//   orthonormal completion, so UᵀU = I and VᵀV = I always.
#pragma once
#include <cstdint>

namespace trimnet {

// Writes U (m×(full ? m : p)), S (p), V (n×(full ? n : p)); all row-major, densely packed.
// Throws std::invalid_argument for a NaN/Inf entry, std::runtime_error if the bidiagonal QR
// iteration does not converge (never seen in practice), std::bad_alloc when out of memory.
void svd(const float* a, int64_t m, int64_t n, bool full, float* u, float* s, float* v);

}  // namespace trimnet
