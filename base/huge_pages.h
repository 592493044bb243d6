// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_HUGE_PAGES_H_
#define FANOUT_BASE_HUGE_PAGES_H_

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace fanout {

// A std allocator for big arrays read at random (the live index's per-user
// and per-entry arrays, its user hash map): allocations of 2 MiB or more
// are 2 MiB aligned and advised to use transparent huge pages, so a random
// access costs a cache miss but rarely a TLB miss too (with 4 KiB pages, a
// 100 MB array is 25k pages, far more than the TLB holds). Smaller
// allocations come from malloc as usual.
//
// Thread-safety: stateless; safe from any thread.
template <typename T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr size_t kHuge = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      void* p = std::malloc(bytes == 0 ? 1 : bytes);
      if (p == nullptr) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
    const size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, rounded, MADV_HUGEPAGE);  // advisory: fine if refused
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

}  // namespace fanout

#endif  // FANOUT_BASE_HUGE_PAGES_H_
