package org.flowrt.dist;

import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.flowrt.backend.NativeCallException;

/**
 * The MPI world of this process (Open MPI through {@link MpiLibrary}): started once, ended once.
 * Every call's status is checked and a failure becomes a {@link NativeCallException} naming it.
 */
public final class Mpi {
  /** Variables that MPI launchers (mpirun of Open MPI or MPICH, Slurm's srun with PMI/PMIx) set in every rank. */
  private static final String[] LAUNCHER_VARIABLES = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMI_RANK", "PMIX_RANK"};

  /** Variables naming a rank's index among the ranks of its own machine, first found wins. */
  private static final String[] LOCAL_RANK_VARIABLES = {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"};

  private static Mpi world;

  private final int rank;
  private final int size;
  private boolean finished;

  private Mpi(int rank, int size) {
    this.rank = rank;
    this.size = size;
  }

  /** Whether an MPI launcher started this process. */
  public static boolean launched() {
    return launched(System.getenv());
  }

  static boolean launched(Map<String, String> environment) {
    for (String v : LAUNCHER_VARIABLES)
      if (environment.get(v) != null) return true;
    return false;
  }

  /** This rank's index on its machine (the GPU it takes), 0 when the launcher does not say. */
  public static int localRank() {
    for (String v : LOCAL_RANK_VARIABLES) {
      String value = System.getenv(v);
      if (value != null && value.matches("\\d+")) return Integer.parseInt(value);
    }
    return 0;
  }

  /** Whether this build has the MPI binding, and whether a launcher started this process (for `flowrt info`). */
  public static String describe() {
    boolean built = MpiLibrary.class.getResource(org.bytedeco.javacpp.Loader.getPlatform() + "/libjniMpiLibrary.so") != null;
    return (built ? "MPI binding built (Open MPI 4, libmpi.so.40)" : "no MPI binding in this build (Open MPI headers were absent)")
        + "; " + (launched() ? "started by an MPI launcher, local rank " + localRank() : "not started by an MPI launcher (one process)")
        + "; NCCL sums the gradients on the CUDA backend, MPI_Allreduce on the CPU backend";
  }

  /** Loads the native library and initializes MPI (once per process). */
  public static synchronized Mpi start() {
    if (world != null) return world;
    try {
      MpiLibrary.load();
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null) cause = cause.getCause();  // the loader's first failure says why
      throw new IllegalStateException("this process was started by an MPI launcher, but flowrt's MPI library cannot be loaded ("
          + cause.getMessage() + "): install Open MPI 4 (scripts/install-mpi.sh) and rebuild flowrt where its headers are present,"
          + " or run without mpirun / use --distributed off", e);
    }
    check(MpiLibrary.init(), "MPI_Init_thread");
    world = new Mpi(MpiLibrary.rank(), MpiLibrary.size());
    return world;
  }

  static void check(int status, String call) {
    if (status != 0) throw new NativeCallException(call, status, MpiLibrary.errorString(status));
  }

  public int rank() {
    return rank;
  }

  public int size() {
    return size;
  }

  void sumFloats(long address, long count) {
    check(MpiLibrary.sumFloats(address, count), "MPI_Allreduce(MPI_FLOAT, MPI_SUM)");
  }

  void sumDoubles(double[] values) {
    check(MpiLibrary.sumDoubles(values, values.length), "MPI_Allreduce(MPI_DOUBLE, MPI_SUM)");
  }

  long min(long value) {
    long[] v = {value};
    check(MpiLibrary.minLongs(v, 1), "MPI_Allreduce(MPI_LONG_LONG, MPI_MIN)");
    return v[0];
  }

  long max(long value) {
    long[] v = {value};
    check(MpiLibrary.maxLongs(v, 1), "MPI_Allreduce(MPI_LONG_LONG, MPI_MAX)");
    return v[0];
  }

  /** Rank `root`'s bytes, on every rank (the NCCL unique id). */
  byte[] broadcast(byte[] bytes, int root) {
    try (BytePointer p = new BytePointer(bytes.length)) {
      p.put(bytes);
      check(MpiLibrary.broadcast(p.address(), bytes.length, root), "MPI_Bcast");
      byte[] out = new byte[bytes.length];
      p.get(out);
      return out;
    }
  }

  void barrier() {
    check(MpiLibrary.barrier(), "MPI_Barrier");
  }

  /** MPI_Abort: mpirun ends every rank of the job, this one included. */
  public void abortJob(int exitCode) {
    MpiLibrary.abort(exitCode);
  }

  /** MPI_Finalize; safe to call twice. */
  public synchronized void finish() {
    if (finished) return;
    finished = true;
    check(MpiLibrary.finish(), "MPI_Finalize");
  }
}
