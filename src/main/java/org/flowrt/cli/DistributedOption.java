package org.flowrt.cli;

import java.io.PrintStream;
import org.flowrt.dist.Mpi;
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
  Mpi start() {
    if (distributed.equals("off") || !Mpi.launched()) return null;
    return Mpi.start();
  }

  /**
   * Ends the whole job after an error on this rank: the other ranks may be waiting for this one in
   * a sum, and would otherwise wait forever. Prints the error first, naming the rank.
   */
  static void abortJob(Mpi mpi, Exception e, PrintStream err) {
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
