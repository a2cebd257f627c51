// Threads of the CPU SVD.
#pragma once
#include <thread>
#include <vector>

namespace trimnet {
namespace svd_detail {

template <typename F>
void parallel_for(int nthreads, F&& fn) {
  if (nthreads <= 1) {
    fn(0, 1);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(nthreads - 1);
  for (int t = 1; t < nthreads; t++) pool.emplace_back([&fn, t, nthreads] { fn(t, nthreads); });
  fn(0, nthreads);
  for (auto& th : pool) th.join();
}

}  // namespace svd_detail
}  // namespace trimnet
