package org.flowrt.cli;

import java.io.PrintStream;
import org.flowrt.backend.Backend;
import org.flowrt.dist.Collective;
import org.flowrt.dist.Mpi;
import org.flowrt.dist.MpiCollective;
import org.flowrt.train.Trainer;
import picocli.CommandLine.Option;

/**
 * --distributed: whether this process is one rank of an MPI job. With "auto" (the default) a process
 * started by mpirun or srun joins its MPI world, and any other runs alone, exactly as without MPI;
 * "mpi" insists on MPI, "off" ignores the launcher. --check-sync-every: the debug check that every
 * rank still holds the same parameters.
 */
final class DistributedOption {
  @Option(names = "--distributed", description = "auto (MPI when started by mpirun or srun, default), mpi or off")
  String distributed = "auto";

  @Option(names = "--check-sync-every", description = "compare a checksum of the parameters across the ranks every K steps"
      + " and stop naming the step where they differ (0 = off, default)")
  long checkSyncEvery = 0;

  void validate() {
    Require.oneOf("--distributed", distributed, "auto", "mpi", "off");
    Require.atLeast("--check-sync-every", checkSyncEvery, 0);
    if (distributed.equals("mpi") && !Mpi.launched())
      throw new IllegalArgumentException("--distributed mpi: this process was not started by an MPI launcher (mpirun, srun)");
  }

  /** The MPI world to join, or null to run alone. */
  private Mpi start() {
    if (distributed.equals("off") || !Mpi.launched()) return null;
    return Mpi.start();
  }

  /** A command's work, alone (mpi null) or as one rank of an MPI job. */
  interface Job {
    Integer run(Mpi mpi) throws Exception;
  }

  /**
   * Runs the job alone or as one rank. An error on one rank ends the whole job at once (the other
   * ranks may be waiting for this one); a divergence is seen by every rank in the same step, from
   * the same summed loss, and each ends normally. MPI ends with the job.
   */
  Integer run(Job job) throws Exception {
    Mpi mpi = start();
    if (mpi == null) return job.run(null);
    try {
      return job.run(mpi);
    } catch (Trainer.DivergedException e) {
      throw e;
    } catch (Exception e) {
      if (mpi.size() > 1) abortJob(mpi, e, System.err);
      throw e;
    } finally {
      mpi.finish();
    }
  }

  /** This process's backend: in an MPI job, the GPU of its local rank. */
  static Backend openBackend(BackendOption option, Mpi mpi) {
    return option.open(mpi == null ? 0 : Mpi.localRank());
  }

  /** The job's ranks on this backend: one process alone, else MPI (+ NCCL on the CUDA backend). */
  static Collective ranks(Mpi mpi, Backend be) {
    return mpi == null ? Collective.SINGLE : new MpiCollective(mpi, be);
  }

  /**
   * Ends the whole job after an error on this rank: the other ranks may be waiting for this one in
   * a sum, and would otherwise wait forever. Prints the error first, naming the rank.
   */
  private static void abortJob(Mpi mpi, Exception e, PrintStream err) {
    String message = Main.userMessage(e);
    String where = "rank " + mpi.rank() + " of " + mpi.size();
    if (message != null) {
      err.println("flowrt: error: " + where + ": " + message.replace("\n", "; ") + " (stopping all " + mpi.size() + " ranks)");
    } else {
      err.println("flowrt: error: " + where + " failed (stopping all " + mpi.size() + " ranks):");
      e.printStackTrace(err);
    }
    err.flush();
    mpi.abortJob(Main.USAGE_OR_INPUT_ERROR);
  }
}
