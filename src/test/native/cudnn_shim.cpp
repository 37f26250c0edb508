// cudnn_shim.cpp — a test-only stand-in for the cuDNN 9 calls CudaBackend makes, built four times as
// libcudnn_graph/ops/cnn/adv.so.9 (each exporting its own functions under the version node the
// JavaCPP binding asks for; see scripts/build-cuda-shim.sh). Convolutions run on the host: float32
// in, double accumulation for the deterministic algorithms.
//
// cudnnFind* reports what a real cuDNN reports in kind: several algorithms per pass, fastest first,
// some needing a workspace, and for backward data and backward filter a non-deterministic algorithm
// (ALGO_0, which sums with atomics on a GPU) as the fastest. The shim makes that one truly
// non-deterministic: it sums in float, starting at a position that changes with every call, so code
// that picks it where it promised repeatable results gets different bits on every run. Workspaces,
// inputs and outputs must be device memory from the driver shim, and a workspace smaller than the
// chosen algorithm needs is refused with CUDNN_STATUS_BAD_PARAM, as cuDNN does.
// Checked by CudaBackendTest's ConvSuite and training suites over the shim, and CudaShimTest.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <atomic>

#define SHIM_EXPORT extern "C" __attribute__((visibility("default")))

extern "C" bool flowrt_shim_device_range(const void* p, size_t bytes);  // from the driver shim

typedef int cudnnStatus_t;
enum : cudnnStatus_t {
  CUDNN_STATUS_SUCCESS = 0,
  CUDNN_STATUS_NOT_INITIALIZED = 1001,
  CUDNN_STATUS_BAD_PARAM = 2000,
  CUDNN_STATUS_NOT_SUPPORTED = 3000,
  CUDNN_STATUS_INTERNAL_ERROR = 4000,
  CUDNN_STATUS_EXECUTION_FAILED = 5000,
};
enum { CUDNN_DATA_FLOAT = 0, CUDNN_TENSOR_NCHW = 0, CUDNN_CROSS_CORRELATION = 1 };
enum { CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1 };
enum { CUDNN_DEFAULT_MATH = 0, CUDNN_TENSOR_OP_MATH = 1, CUDNN_FMA_MATH = 3 };

// The layout of cuDNN 9's cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t (all three alike).
struct AlgoPerf {
  int algo;
  cudnnStatus_t status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
};
static_assert(sizeof(AlgoPerf) == 48 && offsetof(AlgoPerf, memory) == 16 && offsetof(AlgoPerf, determinism) == 24,
              "cuDNN 9 perf struct layout");

static const uint32_t MAGIC_HANDLE = 0xC0D0A001, MAGIC_TENSOR = 0xC0D0A002, MAGIC_FILTER = 0xC0D0A003,
                      MAGIC_CONV = 0xC0D0A004;

struct Handle {
  uint32_t magic = MAGIC_HANDLE;
  void* stream = nullptr;
};
struct Tensor {
  uint32_t magic = MAGIC_TENSOR;
  bool set = false;
  int n = 0, c = 0, h = 0, w = 0;
};
struct Filter {
  uint32_t magic = MAGIC_FILTER;
  bool set = false;
  int k = 0, c = 0, h = 0, w = 0;
};
struct Conv {
  uint32_t magic = MAGIC_CONV;
  bool set = false;
  int pad_h = 0, pad_w = 0;
  int math = 0;
};

template <typename T>
static bool valid(const T* p, uint32_t magic) {
  return p != nullptr && p->magic == magic && p->set;
}

// ---------------------------------------------------------------- libcudnn_graph.so.9
SHIM_EXPORT size_t cudnnGetVersion() { return 91900; }

SHIM_EXPORT const char* cudnnGetErrorString(cudnnStatus_t status) {
  switch (status) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_STATUS_INTERNAL_ERROR";
  }
}

SHIM_EXPORT cudnnStatus_t cudnnCreate(Handle** handle) {
  if (handle == nullptr) return CUDNN_STATUS_BAD_PARAM;
  *handle = new Handle();
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnDestroy(Handle* handle) {
  if (handle == nullptr || handle->magic != MAGIC_HANDLE) return CUDNN_STATUS_BAD_PARAM;
  handle->magic = 0;
  delete handle;
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnSetStream(Handle* handle, void* stream) {
  if (handle == nullptr || handle->magic != MAGIC_HANDLE) return CUDNN_STATUS_BAD_PARAM;
  handle->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

// ---------------------------------------------------------------- libcudnn_ops.so.9
template <typename T>
static cudnnStatus_t create(T** out) {
  if (out == nullptr) return CUDNN_STATUS_BAD_PARAM;
  *out = new T();
  return CUDNN_STATUS_SUCCESS;
}

template <typename T>
static cudnnStatus_t destroy(T* p, uint32_t magic) {
  if (p == nullptr || p->magic != magic) return CUDNN_STATUS_BAD_PARAM;
  p->magic = 0;
  delete p;
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnCreateTensorDescriptor(Tensor** d) { return create(d); }
SHIM_EXPORT cudnnStatus_t cudnnDestroyTensorDescriptor(Tensor* d) { return destroy(d, MAGIC_TENSOR); }
SHIM_EXPORT cudnnStatus_t cudnnCreateFilterDescriptor(Filter** d) { return create(d); }
SHIM_EXPORT cudnnStatus_t cudnnDestroyFilterDescriptor(Filter* d) { return destroy(d, MAGIC_FILTER); }

SHIM_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptor(Tensor* d, int format, int type, int n, int c, int h, int w) {
  if (d == nullptr || d->magic != MAGIC_TENSOR || n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  d->n = n, d->c = c, d->h = h, d->w = w, d->set = true;
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnSetFilter4dDescriptor(Filter* d, int type, int format, int k, int c, int h, int w) {
  if (d == nullptr || d->magic != MAGIC_FILTER || k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  d->k = k, d->c = c, d->h = h, d->w = w, d->set = true;
  return CUDNN_STATUS_SUCCESS;
}

// ---------------------------------------------------------------- libcudnn_cnn.so.9
SHIM_EXPORT cudnnStatus_t cudnnCreateConvolutionDescriptor(Conv** d) { return create(d); }
SHIM_EXPORT cudnnStatus_t cudnnDestroyConvolutionDescriptor(Conv* d) { return destroy(d, MAGIC_CONV); }

SHIM_EXPORT cudnnStatus_t cudnnSetConvolution2dDescriptor(Conv* d, int pad_h, int pad_w, int u, int v, int dil_h, int dil_w,
                                                          int mode, int compute) {
  if (d == nullptr || d->magic != MAGIC_CONV || pad_h < 0 || pad_w < 0) return CUDNN_STATUS_BAD_PARAM;
  if (u != 1 || v != 1 || dil_h != 1 || dil_w != 1 || mode != CUDNN_CROSS_CORRELATION || compute != CUDNN_DATA_FLOAT)
    return CUDNN_STATUS_NOT_SUPPORTED;
  d->pad_h = pad_h, d->pad_w = pad_w, d->set = true;
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnSetConvolutionMathType(Conv* d, int math) {
  if (d == nullptr || d->magic != MAGIC_CONV) return CUDNN_STATUS_BAD_PARAM;
  d->math = math;
  return CUDNN_STATUS_SUCCESS;
}

// The geometry of one convolution, checked against its descriptors.
struct Geometry {
  int n, c, h, w, k, kh, kw, oh, ow, ph, pw;
};

static cudnnStatus_t geometry(const Tensor* x, const Filter* f, const Conv* conv, const Tensor* y, Geometry* g) {
  if (!valid(x, MAGIC_TENSOR) || !valid(f, MAGIC_FILTER) || !valid(conv, MAGIC_CONV) || !valid(y, MAGIC_TENSOR))
    return CUDNN_STATUS_BAD_PARAM;
  int oh = x->h + 2 * conv->pad_h - f->h + 1, ow = x->w + 2 * conv->pad_w - f->w + 1;
  if (x->c != f->c || y->n != x->n || y->c != f->k || y->h != oh || y->w != ow) return CUDNN_STATUS_BAD_PARAM;
  *g = {x->n, x->c, x->h, x->w, f->k, f->h, f->w, oh, ow, conv->pad_h, conv->pad_w};
  return CUDNN_STATUS_SUCCESS;
}

// Algorithm numbers as cuDNN has them; what each needs and whether it repeats bit for bit.
struct Algorithm {
  int algo;
  float time;
  bool deterministic;
  bool needs_workspace;
};
static const Algorithm FORWARD[] = {{1, 0.2f, true, true}, {0, 0.3f, true, false}};
static const Algorithm BACKWARD_DATA[] = {{0, 0.1f, false, false}, {1, 0.2f, true, false}};
static const Algorithm BACKWARD_FILTER[] = {{0, 0.1f, false, false}, {1, 0.2f, true, true}};

// A workspace for the algorithms that take one: a few filter-sized scratch arrays.
static size_t workspace_bytes(const Algorithm& a, const Geometry& g) {
  return a.needs_workspace ? (size_t)g.k * g.c * g.kh * g.kw * sizeof(float) + 4096 : 0;
}

template <size_t N>
static cudnnStatus_t report(const Algorithm (&table)[N], const Geometry& g, int math, int requested, int* returned,
                            AlgoPerf* perf) {
  if (returned == nullptr || perf == nullptr || requested <= 0) return CUDNN_STATUS_BAD_PARAM;
  int count = requested < (int)N ? requested : (int)N;
  for (int i = 0; i < count; i++) {
    perf[i] = AlgoPerf{};
    perf[i].algo = table[i].algo;
    perf[i].status = CUDNN_STATUS_SUCCESS;
    perf[i].time = table[i].time;
    perf[i].memory = workspace_bytes(table[i], g);
    perf[i].determinism = table[i].deterministic ? CUDNN_DETERMINISTIC : CUDNN_NON_DETERMINISTIC;
    // As on an Ampere or later GPU: where the descriptor permits TF32 (DEFAULT_MATH), the fastest
    // algorithm is a tensor-core one; FMA_MATH keeps every algorithm on FMA.
    perf[i].mathType = math == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : i == 0 ? CUDNN_TENSOR_OP_MATH : CUDNN_DEFAULT_MATH;
  }
  *returned = count;
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(Handle* h, Tensor* x, Filter* w, Conv* c, Tensor* y,
                                                               int requested, int* returned, AlgoPerf* perf) {
  Geometry g;
  if (h == nullptr || h->magic != MAGIC_HANDLE) return CUDNN_STATUS_BAD_PARAM;
  cudnnStatus_t s = geometry(x, w, c, y, &g);
  return s != CUDNN_STATUS_SUCCESS ? s : report(FORWARD, g, c->math, requested, returned, perf);
}

SHIM_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(Handle* h, Filter* w, Tensor* dy, Conv* c, Tensor* dx,
                                                                    int requested, int* returned, AlgoPerf* perf) {
  Geometry g;
  if (h == nullptr || h->magic != MAGIC_HANDLE) return CUDNN_STATUS_BAD_PARAM;
  cudnnStatus_t s = geometry(dx, w, c, dy, &g);
  return s != CUDNN_STATUS_SUCCESS ? s : report(BACKWARD_DATA, g, c->math, requested, returned, perf);
}

SHIM_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(Handle* h, Tensor* x, Tensor* dy, Conv* c, Filter* dw,
                                                                      int requested, int* returned, AlgoPerf* perf) {
  Geometry g;
  if (h == nullptr || h->magic != MAGIC_HANDLE) return CUDNN_STATUS_BAD_PARAM;
  cudnnStatus_t s = geometry(x, dw, c, dy, &g);
  return s != CUDNN_STATUS_SUCCESS ? s : report(BACKWARD_FILTER, g, c->math, requested, returned, perf);
}

template <size_t N>
static const Algorithm* find(const Algorithm (&table)[N], int algo) {
  for (size_t i = 0; i < N; i++)
    if (table[i].algo == algo) return &table[i];
  return nullptr;
}

// One execution's checked setup: the geometry from the descriptors, the algorithm, its workspace
// (which must be device memory of the size the algorithm needs) and the operands, which must be
// device memory of their sizes: inputs a and b, output out. Also where a non-deterministic
// algorithm starts its sums (another start every call).
struct Execution {
  Geometry g;
  const Algorithm* algorithm;
  unsigned start;
};

static std::atomic<unsigned> nondeterministic_calls{0};

template <size_t N>
static cudnnStatus_t begin(const Algorithm (&table)[N], Handle* h, const float* alpha, const float* beta, const Tensor* x,
                           const Filter* w, const Conv* conv, const Tensor* y, int algo, void* workspace,
                           size_t workspace_size, Execution* e) {
  if (h == nullptr || h->magic != MAGIC_HANDLE || alpha == nullptr || beta == nullptr) return CUDNN_STATUS_BAD_PARAM;
  cudnnStatus_t s = geometry(x, w, conv, y, &e->g);
  if (s != CUDNN_STATUS_SUCCESS) return s;
  e->algorithm = find(table, algo);
  if (e->algorithm == nullptr) return CUDNN_STATUS_NOT_SUPPORTED;
  size_t need = workspace_bytes(*e->algorithm, e->g);
  if (workspace_size < need) return CUDNN_STATUS_BAD_PARAM;
  if (need > 0 && (workspace == nullptr || !flowrt_shim_device_range(workspace, need))) return CUDNN_STATUS_BAD_PARAM;
  if (need > 0) memset(workspace, 0, need);  // the algorithm "uses" its workspace
  e->start = e->algorithm->deterministic ? 0 : nondeterministic_calls.fetch_add(1);
  return CUDNN_STATUS_SUCCESS;
}

static size_t input_bytes(const Geometry& g) { return sizeof(float) * g.n * g.c * g.h * g.w; }
static size_t filter_bytes(const Geometry& g) { return sizeof(float) * g.k * g.c * g.kh * g.kw; }
static size_t output_bytes(const Geometry& g) { return sizeof(float) * g.n * g.k * g.oh * g.ow; }

static cudnnStatus_t operands(const void* a, size_t a_bytes, const void* b, size_t b_bytes, const void* out, size_t out_bytes) {
  bool ok = flowrt_shim_device_range(a, a_bytes) && flowrt_shim_device_range(b, b_bytes) &&
            flowrt_shim_device_range(out, out_bytes);
  return ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_EXECUTION_FAILED;
}

// A sum of products: in double for a deterministic algorithm, in float (order-sensitive, like a
// GPU's atomics) for a non-deterministic one.
struct Sum {
  bool exact;
  double d = 0;
  float f = 0.f;

  explicit Sum(const Execution& e) : exact(e.algorithm->deterministic) {}
  void add(float a, float b) {
    if (exact) d += (double)a * b;
    else f += a * b;
  }
  double value() const { return exact ? d : f; }
};

static void store(float* out, double value, float alpha, float beta) {
  *out = (float)(alpha * value + (beta == 0.f ? 0.0 : (double)beta * *out));  // beta 0 ignores NaN in out
}

static long long at_input(const Geometry& g, int n, int c, int i, int j) { return (((long long)n * g.c + c) * g.h + i) * g.w + j; }
static long long at_filter(const Geometry& g, int o, int c, int a, int b) { return (((long long)o * g.c + c) * g.kh + a) * g.kw + b; }
static long long at_output(const Geometry& g, int n, int o, int i, int j) { return (((long long)n * g.k + o) * g.oh + i) * g.ow + j; }

SHIM_EXPORT cudnnStatus_t cudnnConvolutionForward(Handle* h, const float* alpha, Tensor* xd, const float* x, Filter* wd,
                                                  const float* w, Conv* cd, int algo, void* ws, size_t ws_size,
                                                  const float* beta, Tensor* yd, float* y) {
  Execution e;
  cudnnStatus_t s = begin(FORWARD, h, alpha, beta, xd, wd, cd, yd, algo, ws, ws_size, &e);
  if (s == CUDNN_STATUS_SUCCESS) s = operands(x, input_bytes(e.g), w, filter_bytes(e.g), y, output_bytes(e.g));
  if (s != CUDNN_STATUS_SUCCESS) return s;
  const Geometry& g = e.g;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.n; n++)
    for (int o = 0; o < g.k; o++)
      for (int i = 0; i < g.oh; i++)
        for (int j = 0; j < g.ow; j++) {
          Sum sum(e);
          for (int c = 0; c < g.c; c++)
            for (int a = 0; a < g.kh; a++) {
              int xi = i + a - g.ph;
              if (xi < 0 || xi >= g.h) continue;
              for (int b = 0; b < g.kw; b++) {
                int xj = j + b - g.pw;
                if (xj >= 0 && xj < g.w) sum.add(x[at_input(g, n, c, xi, xj)], w[at_filter(g, o, c, a, b)]);
              }
            }
          store(&y[at_output(g, n, o, i, j)], sum.value(), *alpha, *beta);
        }
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnConvolutionBackwardData(Handle* h, const float* alpha, Filter* wd, const float* w, Tensor* dyd,
                                                       const float* dy, Conv* cd, int algo, void* ws, size_t ws_size,
                                                       const float* beta, Tensor* dxd, float* dx) {
  Execution e;
  cudnnStatus_t s = begin(BACKWARD_DATA, h, alpha, beta, dxd, wd, cd, dyd, algo, ws, ws_size, &e);
  if (s == CUDNN_STATUS_SUCCESS) s = operands(w, filter_bytes(e.g), dy, output_bytes(e.g), dx, input_bytes(e.g));
  if (s != CUDNN_STATUS_SUCCESS) return s;
  const Geometry& g = e.g;
#pragma omp parallel for collapse(2)
  for (int n = 0; n < g.n; n++)
    for (int c = 0; c < g.c; c++)
      for (int i = 0; i < g.h; i++)
        for (int j = 0; j < g.w; j++) {
          Sum sum(e);
          for (int step = 0; step < g.k; step++) {
            int o = (int)((step + e.start) % (unsigned)g.k);
            for (int a = 0; a < g.kh; a++) {
              int yi = i - a + g.ph;
              if (yi < 0 || yi >= g.oh) continue;
              for (int b = 0; b < g.kw; b++) {
                int yj = j - b + g.pw;
                if (yj >= 0 && yj < g.ow) sum.add(dy[at_output(g, n, o, yi, yj)], w[at_filter(g, o, c, a, b)]);
              }
            }
          }
          store(&dx[at_input(g, n, c, i, j)], sum.value(), *alpha, *beta);
        }
  return CUDNN_STATUS_SUCCESS;
}

SHIM_EXPORT cudnnStatus_t cudnnConvolutionBackwardFilter(Handle* h, const float* alpha, Tensor* xd, const float* x,
                                                         Tensor* dyd, const float* dy, Conv* cd, int algo, void* ws,
                                                         size_t ws_size, const float* beta, Filter* dwd, float* dw) {
  Execution e;
  cudnnStatus_t s = begin(BACKWARD_FILTER, h, alpha, beta, xd, dwd, cd, dyd, algo, ws, ws_size, &e);
  if (s == CUDNN_STATUS_SUCCESS) s = operands(x, input_bytes(e.g), dy, output_bytes(e.g), dw, filter_bytes(e.g));
  if (s != CUDNN_STATUS_SUCCESS) return s;
  const Geometry& g = e.g;
#pragma omp parallel for collapse(2)
  for (int o = 0; o < g.k; o++)
    for (int c = 0; c < g.c; c++)
      for (int a = 0; a < g.kh; a++)
        for (int b = 0; b < g.kw; b++) {
          Sum sum(e);
          for (int step = 0; step < g.n * g.oh; step++) {
            int row = (int)((step + e.start) % (unsigned)(g.n * g.oh));
            int n = row / g.oh, i = row % g.oh;
            int xi = i + a - g.ph;
            if (xi < 0 || xi >= g.h) continue;
            for (int j = 0; j < g.ow; j++) {
              int xj = j + b - g.pw;
              if (xj >= 0 && xj < g.w) sum.add(dy[at_output(g, n, o, i, j)], x[at_input(g, n, c, xi, xj)]);
            }
          }
          store(&dw[at_filter(g, o, c, a, b)], sum.value(), *alpha, *beta);
        }
  return CUDNN_STATUS_SUCCESS;
}

// ---------------------------------------------------------------- libcudnn_adv.so.9 (nothing flowrt calls)
SHIM_EXPORT int flowrt_shim_cudnn_adv() { return 0; }
