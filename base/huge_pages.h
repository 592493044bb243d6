// Copyright 2026 The fan-out engine authors.

#ifndef FANOUT_BASE_HUGE_PAGES_H_
#define FANOUT_BASE_HUGE_PAGES_H_

#include <cstddef>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace fanout {

// 2 MiB: the huge page size, and the unit of MapHuge and HugePagePool.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

// `bytes` rounded up to whole huge pages.
inline size_t RoundUpToHugePages(size_t bytes) {
  return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
}

// Fresh anonymous memory for RoundUpToHugePages(bytes), 2 MiB aligned and
// advised to use transparent huge pages (advisory: fine if refused); its
// pages are zero and not yet faulted in. Throws std::bad_alloc when the
// mapping fails. Release with UnmapHuge(p, bytes).
void* MapHuge(size_t bytes);
void UnmapHuge(void* p, size_t bytes);

// Pages already faulted in, kept for reuse: memory given back here stays
// mapped in the process and is handed out again by Take, instead of being
// unmapped and faulted in afresh by the next big array. Fresh pages are
// costly: the kernel zeroes each on first touch, and on a VM whose host
// takes freed guest memory back (free page reporting), the host must back
// it again as well (bench/README.md, "Open at 170M, third pass"). For a
// burst of big, short-lived arrays followed by others about as big (the
// bulk replay of Open: the fold's scratch, then the live index's per-user
// arrays; a live index's merges: each builds its base in the pages of the
// base before last), not as a general allocator.
//
// Take can join several kept ranges into one contiguous block (mremap moves
// their pages without copying), so sizes need not match. Memory from Take
// holds whatever it held before (not zeroed); memory from either Take or
// MapHuge may be given back, and Take's may be released with UnmapHuge
// instead. What is still kept when the pool is destroyed is unmapped.
//
// Thread-safety: Take and Give are safe from any thread (one mutex).
//
// Typical usage:
//   HugePagePool pool;
//   uint64_t* scratch = static_cast<uint64_t*>(pool.Take(n * 8));
//   ...
//   pool.Give(scratch, n * 8);   // kept mapped
//   void* column = pool.Take(m * 8);  // the scratch's pages again
class HugePagePool {
 public:
  // What a Take maps when the kept ranges do not cover it: pages advised to
  // be huge (kHuge: fewer TLB misses for arrays read at random), or left
  // small (kSmall). On this project's VM a fresh huge page is far dearer
  // than 512 small ones: the guest takes it from a free 2 MiB block, which
  // free page reporting has handed back to the host, and the host backs it
  // again on first touch, while small pages come first from free fragments
  // the host still backs (bench/README.md, "Open at 170M, third pass").
  enum class FreshPages { kHuge, kSmall };

  // `populate(p, bytes)`, when given, faults in the fresh part of a Take
  // (for example in parallel: base/ has no thread pool of its own).
  explicit HugePagePool(std::function<void(void*, size_t)> populate = nullptr,
                        FreshPages fresh = FreshPages::kHuge);
  ~HugePagePool();
  HugePagePool(const HugePagePool&) = delete;
  HugePagePool& operator=(const HugePagePool&) = delete;

  // RoundUpToHugePages(bytes), 2 MiB aligned: kept ranges first (best fit,
  // else joined), fresh pages for the rest. Throws std::bad_alloc when the
  // kernel refuses. Fresh pages are as the constructor's FreshPages says,
  // but small when `huge` is false (memory written and read in order:
  // huge pages would save no TLB misses there); kept ranges are handed out
  // as they are.
  void* Take(size_t bytes, bool huge = true);
  // Keeps [p, p + RoundUpToHugePages(bytes)). REQUIRES: p came from Take
  // or MapHuge with the same `bytes`, and is not used afterwards.
  void Give(void* p, size_t bytes);

  // Unmaps every kept range (for a pool kept across bursts, when the next
  // burst is not expected soon).
  void Release();

  struct Stats {
    size_t kept_bytes = 0;     // held now, for reuse
    size_t reused_bytes = 0;   // handed out from kept ranges, in total
    size_t fresh_bytes = 0;    // handed out from fresh mappings, in total
  };
  Stats stats() const;

  // The pool that HugePageAllocator allocations on this thread draw from
  // while a Scope is alive, and give their big blocks back to (nullptr
  // when none). Scopes nest; each restores the one before.
  static HugePagePool* Current();
  class Scope {
   public:
    explicit Scope(HugePagePool* pool);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    HugePagePool* previous_;
  };

 private:
  struct Range {
    char* p;
    size_t bytes;
  };
  std::function<void(void*, size_t)> populate_;
  FreshPages fresh_;
  mutable std::mutex mu_;
  std::vector<Range> kept_;  // guarded by mu_
  Stats stats_;              // guarded by mu_
};

// A std allocator for big arrays read at random (the live index's per-user
// and per-entry arrays, its user hash map): allocations of 2 MiB or more
// are 2 MiB aligned and advised to use transparent huge pages (MapHuge), so
// a random access costs a cache miss but rarely a TLB miss too (with 4 KiB
// pages, a 100 MB array is 25k pages, far more than the TLB holds). Smaller
// allocations come from malloc as usual. While a HugePagePool::Scope is
// alive on the allocating thread, big blocks come from its pool (not
// zeroed: value-initialising containers zero them themselves) and go back
// to it when freed on that thread; otherwise they are mapped and unmapped.
//
// Thread-safety: stateless; safe from any thread.
template <typename T>
struct HugePageAllocator {
  using value_type = T;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocator rebinding

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) {
      void* p = std::malloc(bytes == 0 ? 1 : bytes);
      if (p == nullptr) throw std::bad_alloc();
      return static_cast<T*>(p);
    }
    HugePagePool* pool = HugePagePool::Current();
    return static_cast<T*>(pool != nullptr ? pool->Take(bytes) : MapHuge(bytes));
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugePageBytes) {
      std::free(p);
      return;
    }
    HugePagePool* pool = HugePagePool::Current();
    if (pool != nullptr) {
      pool->Give(p, bytes);
    } else {
      UnmapHuge(p, bytes);
    }
  }

  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const { return true; }
  template <typename U>
  bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

// n values of T, not initialised, allocated and freed by
// HugePageAllocator: from the pool of the HugePagePool::Scope alive on the
// thread that makes it, and back to the one alive where it is freed (else
// mapped, and unmapped). For big scratch and columns that their maker
// writes in full. REQUIRES: T is trivially copyable and destructible.
// Move-only.
//
// Thread-safety: a plain buffer; callers synchronise access.
template <typename T>
class HugePageArray {
 public:
  static_assert(std::is_trivially_copyable<T>::value && std::is_trivially_destructible<T>::value,
                "HugePageArray holds plain values");
  HugePageArray() = default;
  explicit HugePageArray(size_t n) : size_(n), data_(HugePageAllocator<T>().allocate(Units(n))) {}
  ~HugePageArray() { reset(); }
  HugePageArray(HugePageArray&& o) noexcept : size_(o.size_), data_(o.data_) {
    o.size_ = 0;
    o.data_ = nullptr;
  }
  HugePageArray& operator=(HugePageArray&& o) noexcept {
    if (this != &o) {
      reset();
      std::swap(size_, o.size_);
      std::swap(data_, o.data_);
    }
    return *this;
  }
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;

  // Frees the values (to the pool of the Scope alive here, if any).
  void reset() {
    if (data_ != nullptr) HugePageAllocator<T>().deallocate(data_, Units(size_));
    data_ = nullptr;
    size_ = 0;
  }
  size_t size() const { return size_; }
  T* get() const { return data_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  static size_t Units(size_t n) { return n == 0 ? 1 : n; }  // never a zero-size block
  size_t size_ = 0;
  T* data_ = nullptr;
};

}  // namespace fanout

#endif  // FANOUT_BASE_HUGE_PAGES_H_
