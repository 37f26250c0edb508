// The handful of MPI calls flowrt makes (org.flowrt.dist.MpiLibrary binds them through JavaCPP):
// start and end, rank and size, the world's sums and broadcasts, barrier and abort. Built only where
// Open MPI's headers are installed (Maven profile "mpi"), and loaded only when a run uses MPI.
//
// Every function returns the MPI error code (MPI_SUCCESS = 0); flowrt_mpi_error_string names it.
// Counts are 64-bit: the calls go out in pieces of at most INT_MAX elements, MPI's own limit.
#pragma once
#include <dlfcn.h>
#include <limits.h>
// JavaCPP compiles this as C++: the C API only, not MPI's deprecated C++ bindings (libmpi_cxx).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

// Open MPI's plugins resolve MPI's own symbols globally, but the JVM opens JNI libraries (and so
// libmpi, their dependency) with RTLD_LOCAL: promote libmpi to global before MPI_Init, as mpi4py does.
// Open MPI also installs handlers for SIGSEGV, SIGBUS, ... to print its own stack traces where none
// are installed yet; the JVM relies on those signals (null checks, safepoints), so keep them away.
static inline int flowrt_mpi_init(void) {
  setenv("OMPI_MCA_opal_signal", "", 0);
  dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  dlopen("libmpi.so", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return MPI_SUCCESS;
  int provided = 0;
  // SERIALIZED: the training thread makes the calls, and an abort may come from another thread.
  int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
  if (status != MPI_SUCCESS) return status;
  // Errors come back as codes, which Java turns into exceptions naming the call (instead of the
  // default handler's immediate abort without a word about what flowrt was doing).
  return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

static inline int flowrt_mpi_finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return finalized ? MPI_SUCCESS : MPI_Finalize();
}

static inline int flowrt_mpi_rank(void) {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

static inline int flowrt_mpi_size(void) {
  int size = -1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

static inline int flowrt_mpi_allreduce(void* data, long long count, MPI_Datatype type, int elementBytes, MPI_Op op) {
  char* p = (char*)data;
  while (count > 0) {
    int piece = count > INT_MAX ? INT_MAX : (int)count;
    int status = MPI_Allreduce(MPI_IN_PLACE, p, piece, type, op, MPI_COMM_WORLD);
    if (status != MPI_SUCCESS) return status;
    p += (long long)piece * elementBytes;
    count -= piece;
  }
  return MPI_SUCCESS;
}

// In place: data[i] = Σ over ranks of data[i].
static inline int flowrt_mpi_sum_f32(long long address, long long count) {
  return flowrt_mpi_allreduce((void*)address, count, MPI_FLOAT, 4, MPI_SUM);
}

static inline int flowrt_mpi_sum_f64(double* data, long long count) {
  return flowrt_mpi_allreduce(data, count, MPI_DOUBLE, 8, MPI_SUM);
}

// In place: data[i] = min / max over ranks of data[i].
static inline int flowrt_mpi_min_i64(long long* data, long long count) {
  return flowrt_mpi_allreduce(data, count, MPI_LONG_LONG, 8, MPI_MIN);
}

static inline int flowrt_mpi_max_i64(long long* data, long long count) {
  return flowrt_mpi_allreduce(data, count, MPI_LONG_LONG, 8, MPI_MAX);
}

static inline int flowrt_mpi_broadcast(long long address, int bytes, int root) {
  return MPI_Bcast((void*)address, bytes, MPI_BYTE, root, MPI_COMM_WORLD);
}

static inline int flowrt_mpi_barrier(void) {
  return MPI_Barrier(MPI_COMM_WORLD);
}

// Ends every rank of the job (mpirun kills the others); does not return on success.
static inline int flowrt_mpi_abort(int code) {
  return MPI_Abort(MPI_COMM_WORLD, code);
}

static inline const char* flowrt_mpi_error_string(int status) {
  static char text[MPI_MAX_ERROR_STRING + 1];
  int length = 0;
  if (MPI_Error_string(status, text, &length) != MPI_SUCCESS) return "unknown MPI error";
  text[length] = 0;
  return text;
}
